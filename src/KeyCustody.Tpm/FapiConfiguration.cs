// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;

namespace KeyCustody.Tpm;

/// <summary>
/// The FAPI configuration file (fapi-config(5)) and the cryptographic profile (fapi-profile(5)) we generate from
/// <see cref="TpmOptions"/>. Everything lives under the options' state directory, so no machine-wide FAPI
/// setting (<c>/etc/tpm2-tss</c>) can change what the appliance does, and tests get private keystores.
/// </summary>
public sealed record FapiConfiguration
{
    /// <summary>The one profile KeyCustody uses: ECC P-256 keys, SHA-256 names and policies, AES-128-CFB sessions.</summary>
    public const string ProfileName = "P_ECCP256SHA256";

    /// <summary>The TCTI string.</summary>
    public required string Tcti { get; init; }

    /// <summary>The directory holding this configuration, the profile and the keystores.</summary>
    public required string Directory { get; init; }

    /// <summary>Whether provisioning accepts a TPM without an EK certificate.</summary>
    public bool EkCertificateLess { get; init; } = true;

    /// <summary>The path of the generated configuration file (what <c>TSS2_FAPICONF</c> points at).</summary>
    public string ConfigurationFile => Path.Combine(Directory, "fapi-config.json");

    /// <summary>Where the profile JSON is written.</summary>
    public string ProfileDirectory => Path.Combine(Directory, "profiles");

    /// <summary>The user keystore: keys and sealed objects under <c>/HS/SRK</c>.</summary>
    public string UserDirectory => Path.Combine(Directory, "user");

    /// <summary>The system keystore: provisioning data, NV indices and policies.</summary>
    public string SystemDirectory => Path.Combine(Directory, "system");

    /// <summary>FAPI's own PCR event log (what <c>Fapi_PcrExtend</c> records and <c>Fapi_Quote</c> returns).</summary>
    public string LogDirectory => Path.Combine(Directory, "eventlog");

    /// <summary>Builds the configuration for <paramref name="options"/> (FAPI files go to <c>StateDirectory/fapi</c>).</summary>
    public static FapiConfiguration FromOptions(TpmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new FapiConfiguration
        {
            Tcti = options.Tcti,
            Directory = Path.Combine(Path.GetFullPath(options.StateDirectory), "fapi"),
            EkCertificateLess = options.EkCertificateLess,
        };
    }

    /// <summary>Creates the directories (mode 0700) and writes the configuration and profile files.</summary>
    public void WriteFiles()
    {
        foreach (string dir in new[] { Directory, ProfileDirectory, UserDirectory, SystemDirectory, LogDirectory })
        {
            CreatePrivateDirectory(dir);
        }

        WriteIfChanged(Path.Combine(ProfileDirectory, ProfileName + ".json"), ProfileJson());
        WriteIfChanged(ConfigurationFile, ConfigurationJson());
    }

    /// <summary>The fapi-config(5) JSON.</summary>
    public string ConfigurationJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("profile_name", ProfileName);
            // FAPI concatenates profile_dir and the profile name, so the directory needs its trailing slash.
            json.WriteString("profile_dir", ProfileDirectory + Path.DirectorySeparatorChar);
            json.WriteString("user_dir", UserDirectory);
            json.WriteString("system_dir", SystemDirectory);
            json.WriteString("log_dir", LogDirectory);
            json.WriteString("tcti", Tcti);
            json.WriteStartArray("system_pcrs");
            json.WriteEndArray();
            json.WriteString("ek_cert_less", EkCertificateLess ? "yes" : "no");
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// The fapi-profile(5) JSON for <see cref="ProfileName"/>: an ECC NIST P-256 storage root key at the
    /// TCG-recommended persistent handle 0x81000001, ECDSA-SHA256 signing, AES-128-CFB parameter encryption and
    /// the SHA-256 PCR bank (TCG "TPM 2.0 Keys for Device Identity and Attestation" and the FAPI specification
    /// §4 "Cryptographic profiles").
    /// </summary>
    public static string ProfileJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("type", "TPM2_ALG_ECC");
            json.WriteString("nameAlg", "TPM2_ALG_SHA256");
            json.WriteString("srk_template", "system,restricted,decrypt,0x81000001");
            json.WriteString("srk_description", "KeyCustody storage root key");
            json.WriteString("ek_template", "system,restricted,decrypt");
            json.WriteString("ek_description", "KeyCustody endorsement key");
            json.WriteStartObject("ecc_signing_scheme");
            json.WriteString("scheme", "TPM2_ALG_ECDSA");
            json.WriteStartObject("details");
            json.WriteString("hashAlg", "TPM2_ALG_SHA256");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteString("sym_mode", "TPM2_ALG_CFB");
            json.WriteStartObject("sym_parameters");
            json.WriteString("algorithm", "TPM2_ALG_AES");
            json.WriteString("keyBits", "128");
            json.WriteString("mode", "TPM2_ALG_CFB");
            json.WriteEndObject();
            json.WriteNumber("sym_block_size", 16);
            json.WriteStartArray("pcr_selection");
            json.WriteStartObject();
            json.WriteString("hash", "TPM2_ALG_SHA256");
            json.WriteStartArray("pcrSelect");
            for (int pcr = 0; pcr < 24; pcr++)
            {
                json.WriteNumberValue(pcr);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("curveID", "TPM2_ECC_NIST_P256");
            json.WriteStartObject("ek_policy");
            json.WriteString("description", "Endorsement hierarchy used for policy secret.");
            json.WriteStartArray("policy");
            json.WriteStartObject();
            json.WriteString("type", "POLICYSECRET");
            // TPM_RH_ENDORSEMENT (0x4000000B): the TCG default EK policy is PolicySecret(endorsement).
            json.WriteString("objectName", "4000000b");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
            return;
        }

        System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path) == content)
        {
            return;
        }

        // Write-then-rename so a crash never leaves FAPI a half-written configuration.
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
