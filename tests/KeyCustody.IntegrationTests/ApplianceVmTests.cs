// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Health;
using KeyCustody.Testing;
using Xunit;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.IntegrationTests;

/// <summary>
/// The appliance image booted under KVM (qemu-system-x86_64) with swtpm as its TPM device (<c>-tpmdev emulator</c>),
/// so the daemon runs under systemd on FAPI <c>device:/dev/tpmrm0</c>, with a uinput button and SoftHSM2 in the guest.
/// The host watches the serial console (the daemon's log goes there too) and calls the health service through a
/// forwarded port. Runs in <c>./build.sh test</c> only where /dev/kvm exists (<c>./build.sh test-vm</c> runs it alone).
/// </summary>
public sealed class ApplianceVmTests : IClassFixture<ApplianceVmTests.VmFixture>
{
    private readonly VmFixture _vm;

    public ApplianceVmTests(VmFixture vm) => _vm = vm;

    [Fact]
    public async Task Vm_Boot_DaemonOpensTheKernelTpmDeviceUnderSystemd()
    {
        // Arrange, Act: the fixture booted the image; wait for the daemon's own log lines on the console.
        string tpm = await _vm.WaitForConsoleAsync("Start-up: opening the TPM (device:/dev/tpmrm0)");
        string measured = await _vm.WaitForConsoleAsync("Start-up: extending PCR 23 with the daemon measurement");

        // Assert
        Assert.Contains("device:/dev/tpmrm0", tpm);
        Assert.Contains("PCR 23", measured);
        Assert.DoesNotContain("TSS2_TCTI_RC", _vm.Console);
    }

    [Fact]
    public async Task Vm_Boot_FirstBootProvisioningAndUinputButtonRun()
    {
        // Arrange, Act
        string firstboot = await _vm.WaitForConsoleAsync("keycustody-firstboot: done");
        string button = await _vm.WaitForConsoleAsync("keycustody-vm-button: input device ready");
        string kernel = await _vm.WaitForConsoleAsync("input: keycustody-button as /devices/virtual/input/");
        string press = await _vm.PressAsync(150);

        // Assert
        Assert.Contains("done", firstboot);
        Assert.Contains("ready", button);
        Assert.Contains("keycustody-button", kernel);
        Assert.Equal("ok", press.Trim());
    }

    [Fact]
    public async Task Vm_WithoutSealedPin_HealthFromTheHostIsNotServingWithTheReason()
    {
        // Arrange: production start-up without the custodians' sealing ceremony stops at the unseal step: the TPM
        // (the guest's kernel device) holds no sealed HSM PIN yet.
        string failed = await _vm.WaitForConsoleAsync("Start-up failed (");

        // Act
        ServingStatus health = await _vm.HealthAsync();

        // Assert
        Assert.Matches(@"Start-up failed \((NotFound|NotProvisioned)\)", failed);
        Assert.Contains("'hsm-pin'", failed);
        Assert.Equal(ServingStatus.NotServing, health);
    }

    /// <summary>One VM per class: builds the image if missing, boots a private copy of it with its own swtpm.</summary>
    public sealed class VmFixture : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new("kc-vm");
        private readonly StringBuilder _console = new();
        private Process? _swtpm;
        private Process? _qemu;
        private int _grpcPort;
        private int _buttonPort;

        /// <summary>Everything the guest wrote to its serial console so far.</summary>
        public string Console
        {
            get
            {
                lock (_console)
                {
                    return _console.ToString();
                }
            }
        }

        /// <inheritdoc />
        public async Task InitializeAsync()
        {
            RequiredTool.FindFile("/dev/kvm");
            string qemu = RequiredTool.Find("qemu-system-x86_64");
            string swtpm = RequiredTool.Find("swtpm");
            string root = AppliancePackageTests.PackageFixture.RepositoryRoot;
            string images = Path.Combine(root, "artifacts", "vm");
            if (ImageIsStale(root, Path.Combine(images, "rootfs.img")))
            {
                ProcessResult build = await ProcessRunner.RunAsync(Path.Combine(root, "build.sh"), ["image", "vm"],
                    new Dictionary<string, string> { ["PACKAGE_NO_BUILD"] = "1" }, workingDirectory: root, timeout: TimeSpan.FromMinutes(40));
                Assert.True(build.ExitCode == 0, $"./build.sh image vm failed:\n{build.StandardError}\n{build.StandardOutput}");
            }

            string disk = _directory.File("rootfs.img");
            (await ProcessRunner.RunAsync("cp", "--sparse=always", Path.Combine(images, "rootfs.img"), disk)).EnsureSuccess("copy the VM disk");
            string tpmState = _directory.File("tpm");
            Directory.CreateDirectory(tpmState);
            string tpmSocket = _directory.File("swtpm.sock");
            _swtpm = Start(swtpm, ["socket", "--tpm2", "--tpmstate", "dir=" + tpmState, "--ctrl", "type=unixio,path=" + tpmSocket, "--log", "level=1"], null);
            await WaitUntilAsync(() => File.Exists(tpmSocket), TimeSpan.FromSeconds(30), "swtpm's control socket");

            _grpcPort = FreePort.Next(consecutive: 2);
            _buttonPort = _grpcPort + 1;
            _qemu = Start(qemu,
            [
                .. Accelerator(), "-m", "1536", "-smp", "2", "-nographic", "-no-reboot",
                "-kernel", Path.Combine(images, "vmlinuz"), "-initrd", Path.Combine(images, "initrd.img"),
                "-append", "root=/dev/vda rw console=ttyS0 systemd.show_status=1",
                "-drive", $"file={disk},format=raw,if=virtio",
                "-nic", $"user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{_grpcPort}-:8443,hostfwd=tcp:127.0.0.1:{_buttonPort}-:7001",
                "-chardev", "socket,id=chrtpm,path=" + tpmSocket, "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
                "-device", "tpm-tis,tpmdev=tpm0",
            ], line =>
            {
                lock (_console)
                {
                    _console.AppendLine(line);
                }
            });
        }

        /// <summary>
        /// KVM with the host CPU model; but a host whose /dev/kvm is kvm-pvm (a nested "pagetable VM", as on
        /// Firecracker-based CI machines) runs only guest kernels built for PVM, and Debian's stock kernel hangs
        /// there before its first console line, so such hosts emulate (TCG) with every CPU feature .NET uses.
        /// </summary>
        private static string[] Accelerator() => Directory.Exists("/sys/module/kvm_pvm")
            ? ["-accel", "tcg,thread=multi", "-cpu", "max"]
            : ["-accel", "kvm", "-cpu", "host"];

        // The VM must run the build under test: rebuild the image when it is missing or older than the daemon this
        // test run built or than any file of the recipe.
        private static bool ImageIsStale(string root, string image)
        {
            if (!File.Exists(image))
            {
                return true;
            }

            DateTime built = File.GetLastWriteTimeUtc(image);
            IEnumerable<string> inputs = Directory.EnumerateFiles(Path.Combine(root, "image"), "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".md", StringComparison.Ordinal))
                .Append(Path.Combine(AppContext.BaseDirectory, "keycustodyd.dll"))
                .Append(Path.Combine(AppContext.BaseDirectory, "keycustody.dll"));
            return inputs.Any(f => File.GetLastWriteTimeUtc(f) > built);
        }

        /// <summary>Waits (generously: a loaded CI machine boots slowly) for a console line containing <paramref name="text"/>.</summary>
        public async Task<string> WaitForConsoleAsync(string text)
        {
            string? found = null;
            await WaitUntilAsync(() =>
            {
                found = Console.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                return found is not null;
            }, TimeSpan.FromMinutes(6), $"'{text}' on the VM console");
            return found!;
        }

        /// <summary>Presses the guest's uinput button for <paramref name="milliseconds"/>; returns the helper's reply.</summary>
        public async Task<string> PressAsync(int milliseconds)
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", _buttonPort);
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"press {milliseconds}\n"));
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync();
        }

        /// <summary>The overall health, over TLS to the forwarded port, trusting the certificate the guest made at first boot.</summary>
        public async Task<ServingStatus> HealthAsync()
        {
            ProcessResult cert = await ProcessRunner.RunAsync(RequiredTool.Find("openssl"),
                ["s_client", "-connect", $"127.0.0.1:{_grpcPort}", "-servername", "localhost", "-showcerts"],
                standardInput: string.Empty, timeout: TimeSpan.FromMinutes(1));
            X509Certificate2 server = X509Certificate2.CreateFromPem(cert.StandardOutput);
            using GrpcChannel channel = GrpcChannel.ForAddress($"https://localhost:{_grpcPort}", new GrpcChannelOptions
            {
                TrustedCertificateAuthorities = [server],
            });
            return await new HealthClient(channel).CheckAsync(string.Empty, CallOptions.WithTimeout(TimeSpan.FromMinutes(1)));
        }

        /// <inheritdoc />
        public async Task DisposeAsync()
        {
            foreach (Process? p in new[] { _qemu, _swtpm })
            {
                if (p is { HasExited: false })
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }

                p?.Dispose();
            }

            _directory.Dispose();
        }

        private static Process Start(string tool, string[] arguments, Action<string>? onLine)
        {
            var start = new ProcessStartInfo(tool)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string a in arguments)
            {
                start.ArgumentList.Add(a);
            }

            var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { onLine?.Invoke(e.Data); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { onLine?.Invoke(e.Data); } };
            if (!process.Start())
            {
                throw new InvalidOperationException($"could not start {tool}");
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        private async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                if (clock.Elapsed > limit || _qemu is { HasExited: true })
                {
                    string tail = Console.Length > 6000 ? Console[^6000..] : Console;
                    throw new TimeoutException($"no {what} within {limit.TotalMinutes:0} min; console tail:\n{tail}");
                }

                await Task.Delay(500);
            }
        }
    }
}
