// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Sockets;

namespace KeyCustody.Testing;

/// <summary>Free loopback TCP ports for test servers (swtpm, the daemon, test gRPC services).</summary>
public static class FreePort
{
    /// <summary>A port the OS reports free now. Pass <paramref name="consecutive"/> = 2 for swtpm's server+ctrl pair.</summary>
    public static int Next(int consecutive = 1)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            using var first = new TcpListener(IPAddress.Loopback, 0);
            first.Start();
            int port = ((IPEndPoint)first.LocalEndpoint).Port;
            if (consecutive == 1)
            {
                return port;
            }

            var others = new List<TcpListener>();
            try
            {
                bool ok = true;
                for (int i = 1; i < consecutive && ok; i++)
                {
                    var next = new TcpListener(IPAddress.Loopback, port + i);
                    try
                    {
                        next.Start();
                        others.Add(next);
                    }
                    catch (SocketException)
                    {
                        ok = false;
                    }
                }

                if (ok)
                {
                    return port;
                }
            }
            finally
            {
                others.ForEach(l => l.Stop());
            }
        }

        throw new InvalidOperationException("No free consecutive loopback ports found.");
    }
}
