// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using KeyCustody.Gpio.Interop;
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

/// <summary>
/// Compiles a probe against the machine's real linux/gpio.h, linux/input.h, fcntl.h, poll.h and sys/stat.h with
/// gcc and prints sizes, offsets, request numbers, constants and byte images of filled structs.
/// </summary>
public sealed class KernelHeadersFixture : IAsyncLifetime
{
    private const string Probe = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <string.h>
        #include <fcntl.h>
        #include <poll.h>
        #include <time.h>
        #include <sys/stat.h>
        #include <linux/gpio.h>
        #include <linux/input.h>

        static void hex(const char *name, const void *p, size_t n) {
            const unsigned char *b = p;
            printf("hex.%s=", name);
            for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
            printf("\n");
        }
        #define SIZE(t) printf("size.%s=%zu\n", #t, sizeof(struct t))
        #define OFF(t, f) printf("offset.%s.%s=%zu\n", #t, #f, offsetof(struct t, f))
        #define NUM(n) printf("num.%s=%lu\n", #n, (unsigned long)(n))
        #define INT(n) printf("int.%s=%ld\n", #n, (long)(n))

        int main(void) {
            SIZE(gpiochip_info); SIZE(gpio_v2_line_attribute); SIZE(gpio_v2_line_config_attribute);
            SIZE(gpio_v2_line_config); SIZE(gpio_v2_line_request); SIZE(gpio_v2_line_event); SIZE(input_event);
            SIZE(statx);
            OFF(gpio_v2_line_request, consumer); OFF(gpio_v2_line_request, config); OFF(gpio_v2_line_request, num_lines);
            OFF(gpio_v2_line_request, event_buffer_size); OFF(gpio_v2_line_request, fd);
            OFF(gpio_v2_line_config, num_attrs); OFF(gpio_v2_line_config, attrs);
            OFF(gpio_v2_line_attribute, flags); OFF(gpio_v2_line_attribute, debounce_period_us);
            OFF(gpio_v2_line_event, id); OFF(gpio_v2_line_event, offset); OFF(gpio_v2_line_event, seqno);
            OFF(gpio_v2_line_event, line_seqno); OFF(gpiochip_info, label); OFF(gpiochip_info, lines);
            OFF(statx, stx_mode);
            NUM(GPIO_V2_GET_LINE_IOCTL); NUM(GPIO_GET_CHIPINFO_IOCTL);
            NUM(EVIOCGNAME(255)); NUM(EVIOCGBIT(EV_KEY, (KEY_MAX / 8) + 1)); NUM(EVIOCSCLOCKID);
            INT(O_RDONLY); INT(O_NONBLOCK); INT(O_CLOEXEC); INT(O_NOCTTY);
            INT(POLLIN); INT(POLLERR); INT(POLLHUP); INT(POLLNVAL);
            INT(CLOCK_MONOTONIC); INT(AT_FDCWD); INT(AT_SYMLINK_NOFOLLOW); INT(STATX_TYPE); INT(S_IFMT); INT(S_IFSOCK);
            INT(EV_SYN); INT(EV_KEY); INT(SYN_REPORT); INT(SYN_DROPPED); INT(KEY_PROG1); INT(KEY_MAX);
            INT(GPIO_V2_LINE_FLAG_ACTIVE_LOW); INT(GPIO_V2_LINE_FLAG_INPUT); INT(GPIO_V2_LINE_FLAG_EDGE_RISING);
            INT(GPIO_V2_LINE_FLAG_EDGE_FALLING); INT(GPIO_V2_LINE_FLAG_BIAS_PULL_UP); INT(GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN);
            INT(GPIO_V2_LINE_FLAG_BIAS_DISABLED); INT(GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
            INT(GPIO_V2_LINE_EVENT_RISING_EDGE); INT(GPIO_V2_LINE_EVENT_FALLING_EDGE);

            struct gpio_v2_line_request req;
            memset(&req, 0, sizeof req);
            req.offsets[0] = 17;
            strcpy(req.consumer, "keycustody");
            req.config.flags = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING
                | GPIO_V2_LINE_FLAG_ACTIVE_LOW | GPIO_V2_LINE_FLAG_BIAS_PULL_UP;
            req.config.num_attrs = 1;
            req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
            req.config.attrs[0].attr.debounce_period_us = 30000;
            req.config.attrs[0].mask = 1;
            req.num_lines = 1;
            hex("request", &req, sizeof req);

            struct input_event ev;
            memset(&ev, 0, sizeof ev);
            ev.input_event_sec = 1700000000; ev.input_event_usec = 123456;
            ev.type = EV_KEY; ev.code = KEY_PROG1; ev.value = 1;
            hex("input_event", &ev, sizeof ev);

            struct gpio_v2_line_event le;
            memset(&le, 0, sizeof le);
            le.timestamp_ns = 5025123456700ULL; le.id = GPIO_V2_LINE_EVENT_FALLING_EDGE; le.offset = 17; le.seqno = 9; le.line_seqno = 9;
            hex("line_event", &le, sizeof le);
            return 0;
        }
        """;

    private readonly TempDirectory _dir = new("keycustody-abi");

    /// <summary>Every "key=value" line the probe printed.</summary>
    public IReadOnlyDictionary<string, string> Values { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        string source = _dir.File("probe.c");
        string binary = _dir.File("probe");
        await File.WriteAllTextAsync(source, Probe);
        (await ProcessRunner.RunAsync("gcc", "-std=c11", "-Wall", "-Werror", "-o", binary, source)).EnsureSuccess("gcc");
        ProcessResult run = (await ProcessRunner.RunAsync(binary)).EnsureSuccess("probe");
        Values = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    public long Number(string key) => long.Parse(Values[key], CultureInfo.InvariantCulture);

    public byte[] Hex(string key) => Convert.FromHexString(Values["hex." + key]);
}

public class KernelAbiTests(KernelHeadersFixture headers) : IClassFixture<KernelHeadersFixture>
{
    [Fact]
    public void GpioUapi_StructSizes_MatchLinuxHeader()
    {
        // Arrange
        IReadOnlyDictionary<string, int> ours = GpioUapi.StructSizes();

        // Act / Assert
        foreach ((string name, int size) in ours)
        {
            Assert.True(size == headers.Number($"size.{name}"), $"sizeof(struct {name}): ours {size}, header {headers.Number($"size.{name}")}");
        }

        Assert.Equal(6, ours.Count);
    }

    [Fact]
    public void GpioUapi_FieldOffsets_MatchLinuxHeader()
    {
        // Arrange
        IReadOnlyDictionary<string, int> ours = GpioUapi.FieldOffsets();

        // Act / Assert
        foreach ((string field, int offset) in ours)
        {
            Assert.True(offset == headers.Number($"offset.{field}"), $"offsetof({field}): ours {offset}, header {headers.Number($"offset.{field}")}");
        }

        Assert.Equal(15, ours.Count);
    }

    [Fact]
    public void IoctlRequests_MatchLinuxHeaderMacros()
    {
        // Arrange
        var ours = new Dictionary<string, uint>
        {
            ["GPIO_V2_GET_LINE_IOCTL"] = GpioUapi.GPIO_V2_GET_LINE_IOCTL,
            ["GPIO_GET_CHIPINFO_IOCTL"] = GpioUapi.GPIO_GET_CHIPINFO_IOCTL,
            ["EVIOCGNAME(255)"] = InputUapi.EVIOCGNAME(255),
            ["EVIOCGBIT(EV_KEY, (KEY_MAX / 8) + 1)"] = InputUapi.EVIOCGBIT(InputUapi.EV_KEY, (InputUapi.KEY_MAX / 8) + 1),
            ["EVIOCSCLOCKID"] = InputUapi.EVIOCSCLOCKID,
        };

        // Act / Assert
        foreach ((string name, uint request) in ours)
        {
            Assert.True(request == headers.Number($"num.{name}"), $"{name}: ours 0x{request:x}, header 0x{headers.Number($"num.{name}"):x}");
        }
    }

    [Fact]
    public void Constants_MatchLinuxHeaders()
    {
        // Arrange
        var ours = new Dictionary<string, long>
        {
            ["O_RDONLY"] = Libc.O_RDONLY,
            ["O_NONBLOCK"] = Libc.O_NONBLOCK,
            ["O_CLOEXEC"] = Libc.O_CLOEXEC,
            ["O_NOCTTY"] = Libc.O_NOCTTY,
            ["POLLIN"] = Libc.POLLIN,
            ["POLLERR"] = Libc.POLLERR,
            ["POLLHUP"] = Libc.POLLHUP,
            ["POLLNVAL"] = Libc.POLLNVAL,
            ["CLOCK_MONOTONIC"] = Libc.CLOCK_MONOTONIC,
            ["AT_FDCWD"] = Libc.AT_FDCWD,
            ["AT_SYMLINK_NOFOLLOW"] = Libc.AT_SYMLINK_NOFOLLOW,
            ["STATX_TYPE"] = Libc.STATX_TYPE,
            ["S_IFMT"] = Libc.S_IFMT,
            ["S_IFSOCK"] = Libc.S_IFSOCK,
            ["EV_SYN"] = InputUapi.EV_SYN,
            ["EV_KEY"] = InputUapi.EV_KEY,
            ["SYN_REPORT"] = InputUapi.SYN_REPORT,
            ["SYN_DROPPED"] = InputUapi.SYN_DROPPED,
            ["KEY_PROG1"] = InputUapi.KEY_PROG1,
            ["KEY_MAX"] = InputUapi.KEY_MAX,
            ["GPIO_V2_LINE_FLAG_ACTIVE_LOW"] = (long)GpioUapi.GPIO_V2_LINE_FLAG_ACTIVE_LOW,
            ["GPIO_V2_LINE_FLAG_INPUT"] = (long)GpioUapi.GPIO_V2_LINE_FLAG_INPUT,
            ["GPIO_V2_LINE_FLAG_EDGE_RISING"] = (long)GpioUapi.GPIO_V2_LINE_FLAG_EDGE_RISING,
            ["GPIO_V2_LINE_FLAG_EDGE_FALLING"] = (long)GpioUapi.GPIO_V2_LINE_FLAG_EDGE_FALLING,
            ["GPIO_V2_LINE_FLAG_BIAS_PULL_UP"] = (long)GpioUapi.GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
            ["GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN"] = (long)GpioUapi.GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
            ["GPIO_V2_LINE_FLAG_BIAS_DISABLED"] = (long)GpioUapi.GPIO_V2_LINE_FLAG_BIAS_DISABLED,
            ["GPIO_V2_LINE_ATTR_ID_DEBOUNCE"] = GpioUapi.GPIO_V2_LINE_ATTR_ID_DEBOUNCE,
            ["GPIO_V2_LINE_EVENT_RISING_EDGE"] = GpioUapi.GPIO_V2_LINE_EVENT_RISING_EDGE,
            ["GPIO_V2_LINE_EVENT_FALLING_EDGE"] = GpioUapi.GPIO_V2_LINE_EVENT_FALLING_EDGE,
        };

        // Act / Assert
        foreach ((string name, long value) in ours)
        {
            Assert.True(value == headers.Number($"int.{name}"), $"{name}: ours {value}, header {headers.Number($"int.{name}")}");
        }
    }

    [Fact]
    public void StatxModeOffset_MatchesLinuxHeader()
    {
        // Arrange / Act
        long headerOffset = headers.Number("offset.statx.stx_mode");
        long headerSize = headers.Number("size.statx");

        // Assert
        Assert.Equal(Libc.StatxModeOffset, headerOffset);
        Assert.Equal(Libc.StatxSize, headerSize);
    }

    [Fact]
    public void BuildRequest_ButtonLine_ProducesTheBytesCBuilds()
    {
        // Arrange
        byte[] expected = headers.Hex("request");

        // Act
        byte[] actual = GpioChipButton.RequestBytes(17, GpioChipButton.LineFlags(activeLow: true, GpioBias.PullUp), debounceUs: 30000);

        // Assert
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
    }

    [Fact]
    public void InputUapiRead_RecordGccLaidOut_DecodesEveryField()
    {
        // Arrange
        byte[] record = headers.Hex("input_event");

        // Act
        InputUapi.InputEvent e = InputUapi.Read(record);

        // Assert
        Assert.Equal(InputUapi.InputEventSize, record.Length);
        Assert.Equal(1_700_000_000, e.Seconds);
        Assert.Equal(123_456, e.Microseconds);
        Assert.Equal(InputUapi.EV_KEY, e.Type);
        Assert.Equal(InputUapi.KEY_PROG1, e.Code);
        Assert.Equal(1, e.Value);
    }

    [Fact]
    public void GpioLineEdgeDecoder_RecordGccLaidOut_DecodesFallingEdge()
    {
        // Arrange
        byte[] record = headers.Hex("line_event");
        var decoder = new GpioLineEdgeDecoder();

        // Act
        EdgeDecodeResult result = decoder.Decode(record, out RawEdge edge);

        // Assert
        Assert.Equal(decoder.RecordSize, record.Length);
        Assert.Equal(EdgeDecodeResult.Edge, result);
        Assert.False(edge.IsDown);
        Assert.Equal(TimeSpan.FromTicks(50251234567), edge.Timestamp);
    }

    [Fact]
    public void TestRecordBuilders_MatchGccLayout()
    {
        // Arrange: the byte images the other tests write through pipes.
        byte[] input = Records.InputEvent(TimeSpan.FromSeconds(1_700_000_000) + TimeSpan.FromMicroseconds(123_456), Records.EV_KEY, Records.KEY_PROG1, 1);
        byte[] line = Records.LineEvent(TimeSpan.FromTicks(50251234567), rising: false, lineSeqno: 9);

        // Act
        string expectedInput = Convert.ToHexString(headers.Hex("input_event"));
        string expectedLine = Convert.ToHexString(headers.Hex("line_event"));

        // Assert
        Assert.Equal(expectedInput, Convert.ToHexString(input));
        Assert.Equal(expectedLine, Convert.ToHexString(line));
    }
}
