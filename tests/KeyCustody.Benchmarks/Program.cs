// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text.Json;
using KeyCustody.Benchmarks;

// Usage: KeyCustody.Benchmarks OUTPUT.json [SUITE...]
string output = args.Length > 0 ? args[0] : "bench/results.json";
var only = new HashSet<string>(args.Skip(1), StringComparer.OrdinalIgnoreCase);

var suites = typeof(IBenchmarkSuite).Assembly.GetTypes()
    .Where(t => typeof(IBenchmarkSuite).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmarkSuite)Activator.CreateInstance(t)!)
    .Where(s => only.Count == 0 || only.Contains(s.Name))
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

var results = new List<BenchResult>();
bool suiteFailed = false;
foreach (IBenchmarkSuite suite in suites)
{
    Console.Error.WriteLine($"== bench suite {suite.Name}");
    try
    {
        results.AddRange(await suite.RunAsync(CancellationToken.None));
    }
    catch (Exception ex)
    {
        suiteFailed = true;
        Console.Error.WriteLine($"suite {suite.Name} failed: {ex}");
    }
}

string F(double v) => v.ToString(v >= 100 ? "F0" : "F3", CultureInfo.InvariantCulture);
Console.WriteLine($"{"name",-40} {"value",12} {"unit",-8} {"baseline",-34} {"base value",12} {"ratio",8} {"target",9} pass");
foreach (BenchResult r in results)
{
    Console.WriteLine($"{r.Name,-40} {F(r.Value),12} {r.Unit,-8} {r.BaselineName,-34} {F(r.Baseline),12} {F(r.Ratio),8} {r.TargetText,9} {r.Pass switch { true => "yes", false => "NO", null => "-" }}");
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
var json = results.Select(r => new Dictionary<string, object?>
{
    ["name"] = r.Name,
    ["value"] = r.Value,
    ["unit"] = r.Unit,
    ["baseline"] = r.Baseline,
    ["baseline_name"] = r.BaselineName,
    ["ratio"] = double.IsNaN(r.Ratio) ? null : r.Ratio,
    ["target"] = r.Target is null ? null : r.TargetText.Replace(" ", string.Empty, StringComparison.Ordinal),
    ["pass"] = r.Pass,
});
await File.WriteAllTextAsync(output, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"wrote {output}: {results.Count(r => r.Pass == true)} of {results.Count(r => r.Pass is not null)} targets met");
return suiteFailed ? 1 : 0;
