// SPDX-License-Identifier: Apache-2.0
global using Xunit;
