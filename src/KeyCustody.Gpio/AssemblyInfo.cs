// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;

// The tests drive the read paths through pipes (EdgeButton internals) and compare the uAPI structs with gcc.
[assembly: InternalsVisibleTo("KeyCustody.Gpio.Tests")]
