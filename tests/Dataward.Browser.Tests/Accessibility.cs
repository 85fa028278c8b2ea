using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>The accessibility checks every public page must pass: keyboard focus that shows, and axe-core's WCAG rules.</summary>
public static class Accessibility
{
    /// <summary>Presses Tab (or Shift+Tab) until the focus is on <paramref name="selector"/>, checking at every stop
    /// on the way that the focused element is on screen and drawn with a visible focus ring (WCAG 2.4.7, 2.4.11).</summary>
    public static async Task TabToAsync(IPage page, string selector, int maxPresses = 40, bool backwards = false)
    {
        var target = page.Locator(selector);
        (await target.CountAsync()).ShouldBe(1, $"{selector} should be on the page once");
        var stops = new List<string>();
        for (var i = 0; i < maxPresses; i++)
        {
            await page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
            var focus = await page.EvaluateAsync<JsonElement>(FocusScript);
            if (focus.GetProperty("body").GetBoolean())
            {
                stops.Add("(the page itself)");
                continue;
            }
            var described = focus.GetProperty("describe").GetString()!;
            stops.Add(described);
            focus.GetProperty("inView").GetBoolean().ShouldBeTrue($"the focused element is off screen: {described}");
            focus.GetProperty("focusVisible").GetBoolean().ShouldBeTrue($"the keyboard focus does not match :focus-visible: {described}");
            focus.GetProperty("outline").GetString().ShouldNotBe("none", $"no focus ring on {described}");
            focus.GetProperty("outlineWidth").GetDouble().ShouldBeGreaterThanOrEqualTo(2, $"a focus ring thinner than 2px on {described}");
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement"))
            {
                return;
            }
        }
        throw new ShouldAssertException($"{(backwards ? "Shift+Tab" : "Tab")} did not reach {selector} in {maxPresses} presses; it stopped at:\n{string.Join("\n", stops)}");
    }

    private const string FocusScript = """
        () => {
            const e = document.activeElement;
            if (!e || e === document.body || e === document.documentElement) return { body: true };
            const r = e.getBoundingClientRect();
            const s = getComputedStyle(e);
            return {
                body: false,
                describe: e.outerHTML.slice(0, 160),
                inView: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
                focusVisible: e.matches(':focus-visible'),
                outline: s.outlineStyle,
                outlineWidth: parseFloat(s.outlineWidth) || 0,
            };
        }
        """;

    /// <summary>Runs axe-core (bundled in the package, nothing fetched) with the WCAG 2.0, 2.1 and 2.2 A and AA rules
    /// and its best practices (heading order, landmarks, tabindex), and fails with every violation named; then checks
    /// that every fieldset has a legend, which axe does not.</summary>
    public static async Task ShouldPassAxeAsync(IPage page, string artifacts, string what, params string[] mustApply)
    {
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
        });
        var violations = result.Violations.Select(v => $"{v.Id} ({v.Impact}): {v.Help}\n" + string.Join("\n",
            v.Nodes.Select(n => $"    {n.Html}\n      {string.Join("; ", n.Any.Concat(n.All).Concat(n.None).Select(c => c.Message))}"))).ToList();
        if (violations.Count > 0)
        {
            var shot = Path.Combine(artifacts, $"axe-{Regex.Replace(what, "[^a-z]+", "-")}.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        }
        violations.ShouldBeEmpty($"axe on {what} ({page.Url}):\n{string.Join("\n", violations)}");
        // What axe leaves alone: a group of choices is announced by its question only if its fieldset has a legend.
        (await page.Locator("fieldset:not(:has(> legend))").CountAsync()).ShouldBe(0, $"a fieldset without a legend on {what}");
        // The rules that matter here did run on something: contrast always, and the ones the caller names.
        foreach (var rule in mustApply.Prepend("color-contrast"))
        {
            result.Passes.ShouldContain(p => p.Id == rule, $"axe's rule {rule} found nothing to check on {what}");
        }
        // axe cannot find the background behind SVG <text> (chart axes) and leaves it undecided; the charts draw it in
        // one dark grey on their own white ground, which ShouldHaveReadableChartTextAsync checks instead.
        result.Incomplete.Where(i => i.Id == "color-contrast").SelectMany(i => i.Nodes).Select(n => n.Html)
            .Where(html => !html.StartsWith("<text ", StringComparison.Ordinal))
            .ShouldBeEmpty($"axe could not decide the contrast of some text on {what}");
        await ShouldHaveReadableChartTextAsync(page, what);
    }

    /// <summary>Every SVG chart's text is drawn in #4a5260 (7.6:1 on white) over a white ground: the contrast axe
    /// cannot compute inside an SVG, checked from the colours the browser applied.</summary>
    public static async Task ShouldHaveReadableChartTextAsync(IPage page, string what)
    {
        var colours = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('svg[role=img] text')].map(t => getComputedStyle(t).fill)");
        colours.ShouldAllBe(c => c == "rgb(74, 82, 96)", $"chart text in a colour other than #4a5260 on {what}");
        var grounds = await page.EvaluateAsync<int>(
            "() => [...document.querySelectorAll('svg[role=img]')].filter(s => s.querySelector('text') && !s.querySelector(':scope > rect[fill=\"#fff\"]')).length");
        grounds.ShouldBe(0, $"a chart with text but without its white ground on {what}");
    }
}
