using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Strata.Throughput;

/// <summary>
/// Renders a run's figures with ScottPlot, as PNG and SVG: throughput against threads for each mix, and hit ratio
/// against capacity for each trace (one panel per trace).
/// </summary>
internal static class Plots
{
    public static void Write(string directory, List<Program.Row> rows, int[] threads, List<HitRatioSimulator.Result> ratios)
    {
        Directory.CreateDirectory(directory);
        Throughput(Path.Combine(directory, "throughput-read-heavy"), "Zipf(0.99), 90 % reads", rows, threads, row => row.ReadHeavy);
        Throughput(Path.Combine(directory, "throughput-write-heavy"), "Zipf(0.99), 50 % writes", rows, threads, row => row.WriteHeavy);
        foreach (HitRatioSimulator.Result result in ratios)
        {
            HitRatio(Path.Combine(directory, "hit-ratio-" + Slug(result.Trace)), result);
        }

        Console.WriteLine($"Plots written to {Path.GetFullPath(directory)}.");
    }

    /// <summary>One recorded trace's hit ratio against capacity, as <c>trace-NAME</c> in <paramref name="directory"/>.</summary>
    public static void RecordedTrace(string directory, HitRatioSimulator.Result result)
    {
        Directory.CreateDirectory(directory);
        HitRatio(Path.Combine(directory, "trace-" + Slug(result.Trace)), result);
    }

    private static void Throughput(string path, string title, List<Program.Row> rows, int[] threads, Func<Program.Row, Dictionary<int, double>> mops)
    {
        var plot = new Plot();
        double[] xs = threads.Select(t => (double)t).ToArray();
        foreach (Program.Row row in rows)
        {
            var line = plot.Add.Scatter(xs, threads.Select(t => mops(row)[t]).ToArray());
            line.LegendText = row.Name;
            line.LineWidth = row.Name.StartsWith("Strata", StringComparison.Ordinal) ? 3 : 1.5f;
        }

        plot.Title(title);
        plot.XLabel("threads");
        plot.YLabel("Mops/s");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, threads.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimitsY(0, rows.Max(r => threads.Max(t => mops(r)[t])) * 1.1);
        Save(plot, path);
    }

    private static void HitRatio(string path, HitRatioSimulator.Result result)
    {
        var plot = new Plot();
        double[] xs = result.Capacities.Select(c => (double)c).ToArray();
        foreach ((string policy, double[] ratios) in result.Ratios)
        {
            var line = plot.Add.Scatter(xs, ratios.Select(r => r * 100).ToArray());
            line.LegendText = policy;
            line.LineWidth = policy.StartsWith("Strata", StringComparison.Ordinal) ? 3 : 1.5f;
            if (policy is "exact LRU" or "perfect-frequency bound")
            {
                line.MarkerShape = MarkerShape.OpenSquare; // the reference lines (dashes do not survive the SVG export)
                line.MarkerSize = 8;
            }
        }

        plot.Title($"Hit ratio, {result.Trace}");
        plot.XLabel("capacity (entries)");
        plot.YLabel("hit ratio (%)");
        Save(plot, path);
    }

    private static void Save(Plot plot, string path)
    {
        plot.ShowLegend(Edge.Right); // outside the data: lines end where the legend would sit
        plot.SavePng(path + ".png", 1000, 500);
        plot.SaveSvg(path + ".svg", 1000, 500);
    }

    private static string Slug(string name) =>
        new string(name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Replace("--", "-", StringComparison.Ordinal).Trim('-');
}
