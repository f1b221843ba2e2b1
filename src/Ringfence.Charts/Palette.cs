namespace Ringfence.Charts;

/// <summary>A colour-blind-friendly default palette (Okabe-Ito), used in order when a series names no colour.</summary>
public static class Palette
{
    public static IReadOnlyList<string> Default { get; } =
        ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];

    public static string At(int index) => Default[((index % Default.Count) + Default.Count) % Default.Count];
}
