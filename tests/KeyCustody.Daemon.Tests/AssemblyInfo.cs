// SPDX-License-Identifier: Apache-2.0
using System.Runtime.Versioning;

[assembly: SupportedOSPlatform("linux")]
