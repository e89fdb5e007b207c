// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace KeyCustody.Cli.Output;

/// <summary>A plain-text table: a header row, columns padded to their widest cell, two spaces between.</summary>
public sealed class TextTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    /// <summary>Creates a table with these column headers.</summary>
    public TextTable(params string[] headers) => _headers = headers;

    /// <summary>Adds a row; missing cells are blank, control characters are replaced so a row stays one line.</summary>
    public void AddRow(params string?[] cells)
    {
        if (cells.Length > _headers.Length)
        {
            throw new ArgumentException($"the table has {_headers.Length} columns, the row {cells.Length}", nameof(cells));
        }

        _rows.Add([.. Enumerable.Range(0, _headers.Length).Select(i => Clean(i < cells.Length ? cells[i] : null))]);
    }

    /// <summary>Number of rows added.</summary>
    public int Count => _rows.Count;

    /// <inheritdoc />
    public override string ToString()
    {
        int[] widths = [.. _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length)))];
        var builder = new StringBuilder();
        Append(builder, _headers, widths);
        foreach (string[] row in _rows)
        {
            Append(builder, row, widths);
        }

        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int i = 0; i < cells.Length; i++)
        {
            line.Append(i < cells.Length - 1 ? cells[i].PadRight(widths[i] + 2) : cells[i]);
        }

        builder.Append(line.ToString().TrimEnd()).Append('\n');
    }

    // Request metadata comes from CI clients: never let it move the cursor or break the table.
    private static string Clean(string? cell) =>
        cell is null ? string.Empty : string.Concat(cell.Select(c => char.IsControl(c) ? '?' : c));
}
