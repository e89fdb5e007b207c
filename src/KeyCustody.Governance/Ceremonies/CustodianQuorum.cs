// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>
/// The custodian quorum M of N: never below 2 (one custodian alone never changes the appliance) and never above
/// the number of enrolled custodians (a quorum nobody can reach would lock the appliance for good).
/// </summary>
public static class CustodianQuorum
{
    /// <summary>The smallest quorum.</summary>
    public const int Minimum = 2;

    /// <summary>The quorum a roster gets when none was chosen: 2, or fewer only when the roster cannot reach 2 (then ceremonies are refused).</summary>
    public static int Default(int custodians) => Math.Min(Minimum, custodians);

    /// <summary>Throws InvalidArgument unless <paramref name="quorum"/> is valid for <paramref name="custodians"/> custodians.</summary>
    public static void Validate(int quorum, int custodians)
    {
        if (quorum < Minimum)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"A custodian quorum of {quorum} is below the minimum of {Minimum}: one custodian alone can never change the appliance.");
        }

        if (quorum > custodians)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"A custodian quorum of {quorum} is more than the {custodians} enrolled custodians; enrol more custodians first.");
        }
    }
}
