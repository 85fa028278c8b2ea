using System.Globalization;
using System.Text.RegularExpressions;

namespace Dataward.Tests.Portal;

/// <summary>CNS019: WCAG AA contrast, computed from the stylesheet itself: text at least 4.5:1 against the background
/// it sits on, focus rings and field borders at least 3:1 (WCAG 1.4.3, 1.4.11).</summary>
public sealed partial class PortalContrastTests
{
    private static string Css()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Dataward.slnx")))
        {
            directory = directory.Parent;
        }
        return Comment().Replace(File.ReadAllText(Path.Combine(directory!.FullName, "src", "Dataward", "wwwroot", "app.css")), "");
    }

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Variables = new(() =>
        Variable().Matches(Css()).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim()));

    private static string Resolve(string value)
    {
        var v = Var().Match(value);
        return v.Success ? Resolve(Variables.Value[v.Groups[1].Value]) : value.Trim();
    }

    private static double Luminance(string colour)
    {
        var hex = colour.TrimStart('#');
        if (hex.Length == 3)
        {
            hex = string.Concat(hex.Select(c => $"{c}{c}"));
        }
        double Channel(int i)
        {
            var c = int.Parse(hex.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
            return c <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * Channel(0) + 0.7152 * Channel(2) + 0.0722 * Channel(4);
    }

    private static double Contrast(string a, string b)
    {
        var (x, y) = (Luminance(Resolve(a)), Luminance(Resolve(b)));
        return (Math.Max(x, y) + 0.05) / (Math.Min(x, y) + 0.05);
    }

    [Fact]
    public void CNS019_every_rule_with_its_own_text_and_background_colours_meets_4_5_to_1()
    {
        var pairs = 0;
        foreach (Match rule in Rule().Matches(Css()))
        {
            var declarations = rule.Groups[2].Value;
            var colour = Declaration(declarations, "color");
            var background = Declaration(declarations, "background") ?? Declaration(declarations, "background-color");
            if (colour is null || background is null || !IsColour(Resolve(background)))
            {
                continue;
            }
            pairs++;
            Contrast(colour, background).ShouldBeGreaterThanOrEqualTo(4.5, $"{rule.Groups[1].Value.Trim()}: {colour} on {background}");
        }
        pairs.ShouldBeGreaterThan(4);
    }

    [Fact]
    public void CNS019_every_text_colour_meets_4_5_to_1_on_the_page_and_on_white_surfaces()
    {
        var colours = Rule().Matches(Css()).Select(r => r.Groups[2].Value)
            .Where(d => Declaration(d, "background") is not { } b || !IsColour(Resolve(b)))
            .Select(d => Declaration(d, "color")).OfType<string>().Distinct().ToList();
        colours.ShouldContain("var(--ink)");
        colours.ShouldContain("var(--muted)");
        foreach (var colour in colours.Where(c => IsColour(Resolve(c))))
        {
            Contrast(colour, "var(--bg)").ShouldBeGreaterThanOrEqualTo(4.5, $"{colour} on the page");
            Contrast(colour, "var(--surface)").ShouldBeGreaterThanOrEqualTo(4.5, $"{colour} on white");
        }
        Contrast("var(--ink)", "var(--aside-bg)").ShouldBeGreaterThanOrEqualTo(4.5);
    }

    [Theory]
    [InlineData("var(--focus)", "var(--bg)")]
    [InlineData("var(--focus)", "var(--surface)")]
    [InlineData("var(--muted)", "var(--surface)")]
    public void CNS019_focus_rings_and_field_borders_meet_3_to_1(string foreground, string background) =>
        Contrast(foreground, background).ShouldBeGreaterThanOrEqualTo(3.0);

    [Fact]
    public void CNS019_focus_is_always_visible_and_fields_have_a_visible_border()
    {
        var css = Css();
        Rule().Matches(css).Single(r => r.Groups[1].Value.Trim() == ":focus-visible").Groups[2].Value.ShouldContain("outline: 3px solid var(--focus)");
        Rule().Matches(css).Single(r => r.Groups[1].Value.Trim() == "input, select").Groups[2].Value.ShouldContain("border: 1px solid var(--muted)");
    }

    private static string? Declaration(string declarations, string property)
    {
        var match = Regex.Match(declarations, $@"(?:^|;)\s*{Regex.Escape(property)}\s*:\s*([^;]+)");
        return match.Success ? match.Groups[1].Value.Trim().Split(' ')[0] : null;
    }

    private static bool IsColour(string value) => HexColour().IsMatch(value);

    [GeneratedRegex(@"--([a-z-]+)\s*:\s*(#[0-9a-fA-F]{3,6})")]
    private static partial Regex Variable();

    [GeneratedRegex(@"var\(--([a-z-]+)\)")]
    private static partial Regex Var();

    [GeneratedRegex(@"([^{}]+)\{([^{}]*)\}")]
    private static partial Regex Rule();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex("^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColour();
}
