using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Dataward.Notices;

/// <summary>Turns a notice's Markdown into HTML that is safe to put on a public page: raw HTML is shown as text, links
/// and images only to web, mail and relative addresses, and headings start one level below the page's own title.</summary>
public static partial class NoticeMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .DisableHtml()
        .Build();

    public static string ToHtml(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            heading.Level = Math.Min(heading.Level + 1, 6);
        }
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!IsSafe(link.Url))
            {
                link.Url = "#";
            }
        }
        foreach (var link in document.Descendants<AutolinkInline>())
        {
            if (!IsSafe(link.Url))
            {
                link.Url = "#";
            }
        }
        return document.ToHtml(Pipeline);
    }

    // javascript:, data: and vbscript: addresses run code or smuggle content; a notice needs only the schemes below and
    // relative links. Browsers ignore tabs and line breaks inside a scheme, so the check does too.
    private static bool IsSafe(string? url)
    {
        var cleaned = new string((url ?? "").Where(c => !char.IsControl(c) && !char.IsWhiteSpace(c)).ToArray());
        var scheme = Scheme().Match(cleaned);
        return !scheme.Success || scheme.Groups[1].Value.ToLowerInvariant() is "https" or "http" or "mailto" or "tel";
    }

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]*):")]
    private static partial Regex Scheme();
}
