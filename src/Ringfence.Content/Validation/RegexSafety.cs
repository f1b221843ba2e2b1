using System.Text;
using System.Text.RegularExpressions;

namespace Ringfence.Content;

/// <summary>
/// Static regex checks: the pattern compiles on the engine the interpreter uses, and stays within a time limit
/// against adversarial inputs (long runs of the pattern's own characters with a non-matching tail, the classic
/// catastrophic-backtracking shapes, and very long inputs).
/// </summary>
internal static class RegexSafety
{
    public static (string Code, string Message)? Check(string pattern, bool ignoreCase, ValidationOptions options)
    {
        if (pattern.Length > options.Limits.MaxRegexLength)
            return (FindingCodes.SizeLimitExceeded, $"regex is {pattern.Length} characters, over the {options.Limits.MaxRegexLength} limit");
        Regex regex;
        try
        {
            regex = Matcher.CompileRegex(pattern, ignoreCase, options.RegexTimeLimit);
        }
        catch (NotSupportedException ex)
        {
            return (FindingCodes.RegexInvalid, $"regex /{pattern}/ needs backtracking, which the interpreter never uses: {CompiledChannel.OneLine(ex.Message)}");
        }
        catch (ArgumentException ex)
        {
            return (FindingCodes.RegexInvalid, $"regex /{pattern}/ does not compile: {CompiledChannel.OneLine(ex.Message)}");
        }

        foreach (var input in AdversarialInputs(pattern, options.AdversarialInputLength))
        {
            try
            {
                regex.IsMatch(input);
            }
            catch (RegexMatchTimeoutException)
            {
                return (FindingCodes.RegexUnsafe,
                    $"regex /{pattern}/ took longer than {options.RegexTimeLimit.TotalMilliseconds:0} ms on a {input.Length}-character adversarial input");
            }
        }
        return null;
    }

    public static IEnumerable<string> AdversarialInputs(string pattern, int length)
    {
        var literals = pattern.Where(char.IsLetterOrDigit).Distinct().Take(8).ToList();
        if (literals.Count == 0)
            literals.Add('a');
        foreach (var ch in literals)
        {
            yield return new string(ch, length) + "!";
            yield return new string(ch, length);
        }
        var sb = new StringBuilder(length + 1);
        while (sb.Length < length)
            sb.Append(string.Concat(literals));
        yield return sb.ToString(0, length) + "\u0000";
        yield return string.Concat(Enumerable.Repeat(@"C:\Windows\System32\", length / 20 + 1))[..length];
        yield return new string('\\', length) + "x";
    }
}
