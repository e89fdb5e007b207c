// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Gpio;

/// <summary>What one fixed-size record from a device meant.</summary>
[Flags]
internal enum EdgeDecodeResult
{
    /// <summary>Nothing for the button (another key, a sync report, an unknown event id).</summary>
    Ignored = 0,

    /// <summary>The record is an edge of the button.</summary>
    Edge = 1,

    /// <summary>The kernel dropped events before this record; any press in progress is unreliable.</summary>
    EventsLost = 2,
}

/// <summary>Turns the records one kind of device produces into button edges. Stateful; one per reader loop.</summary>
internal interface IEdgeDecoder
{
    /// <summary>Bytes per record; read(2) returns whole records on a real device.</summary>
    int RecordSize { get; }

    /// <summary>Decodes one record of <see cref="RecordSize"/> bytes.</summary>
    EdgeDecodeResult Decode(ReadOnlySpan<byte> record, out RawEdge edge);
}
