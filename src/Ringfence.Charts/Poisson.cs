namespace Ringfence.Charts;

/// <summary>
/// Exact (Garwood) confidence intervals for a Poisson count: lower = χ²(α/2; 2k)/2, upper = χ²(1 − α/2; 2k + 2)/2,
/// computed as gamma quantiles (χ²(p; 2a)/2 is the p-quantile of Gamma(a, 1)) by bisection on the regularized
/// incomplete gamma function. Good to about 1e-9 relative, far finer than a chart needs.
/// </summary>
public static class Poisson
{
    /// <summary>The two-sided interval for the mean of a Poisson variable observed as <paramref name="count"/>.</summary>
    public static (double Lower, double Upper) Garwood(long count, double confidence = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "must be between 0 and 1");
        var alpha = 1 - confidence;
        var lower = count == 0 ? 0 : GammaQuantile(alpha / 2, count);
        var upper = GammaQuantile(1 - (alpha / 2), count + 1);
        return (lower, upper);
    }

    /// <summary>The p-quantile of Gamma(shape a, scale 1).</summary>
    internal static double GammaQuantile(double p, double a)
    {
        double lo = 0, hi = Math.Max(1, a);
        while (RegularizedGammaP(a, hi) < p)
            hi *= 2;
        for (var i = 0; i < 200 && hi - lo > 1e-12 * Math.Max(1, hi); i++)
        {
            var mid = (lo + hi) / 2;
            if (RegularizedGammaP(a, mid) < p)
                lo = mid;
            else
                hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>P(a, x): series for x &lt; a + 1, continued fraction otherwise (Numerical Recipes §6.2).</summary>
    internal static double RegularizedGammaP(double a, double x)
    {
        if (x <= 0)
            return 0;
        var logPrefix = (a * Math.Log(x)) - x - LogGamma(a);
        if (x < a + 1)
        {
            double sum = 1 / a, term = sum;
            for (var n = 1; n < 1000; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-15)
                    break;
            }
            return Math.Min(1, sum * Math.Exp(logPrefix));
        }
        // Lentz's continued fraction for Q(a, x).
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (var i = 1; i < 1000; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            if (Math.Abs(d) < tiny)
                d = tiny;
            c = b + (an / c);
            if (Math.Abs(c) < tiny)
                c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-15)
                break;
        }
        return Math.Max(0, 1 - (Math.Exp(logPrefix) * h));
    }

    /// <summary>ln Γ(x) by the Lanczos approximation (g = 7, n = 9).</summary>
    internal static double LogGamma(double x)
    {
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5)
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        var sum = g[0];
        for (var i = 1; i < g.Length; i++)
            sum += g[i] / (x + i);
        var t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }
}
