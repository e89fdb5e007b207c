// SPDX-License-Identifier: Apache-2.0
// The composition root arrives with the governed-signing work; until then the daemon says so and stops.
Console.Error.WriteLine("keycustodyd: not yet composed");
return 2;
