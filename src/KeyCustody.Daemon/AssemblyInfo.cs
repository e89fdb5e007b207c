// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

// The appliance is Linux only (TPM via tpm2-tss, PKCS#11 modules, evdev, Unix sockets).
[assembly: SupportedOSPlatform("linux")]
[assembly: InternalsVisibleTo("KeyCustody.IntegrationTests")]
[assembly: InternalsVisibleTo("KeyCustody.Daemon.Tests")]
