using System.Globalization;
using Dataward.Connectors.Stores;

namespace Dataward.Tests.Connectors;

/// <summary>Timestamps stored as text (SQLite) are read by a shortcut for their common shape; it must read every text
/// exactly as the general parser does, and leave every other text to it.</summary>
public sealed class StoreValuesTests
{
    [Theory]
    [InlineData("2015-03-04 05:06:07")]
    [InlineData("2015-03-04T05:06:07")]
    [InlineData("2015-03-04 05:06:07.1")]
    [InlineData("2015-03-04 05:06:07.1234567")]
    [InlineData("2015-03-04 05:06:07.0000010")]
    [InlineData("2024-02-29 23:59:59.9999999")]
    [InlineData("0001-01-01 00:00:00")]
    [InlineData("9999-12-31 23:59:59.9999999")]
    [InlineData("2015-03-04T05:06:07.1234567Z")]
    [InlineData(" 2015-03-04 05:06:07 ")]
    [InlineData("2015-03-04 05:06:07.")]
    public void MIN001_timestamps_in_text_read_as_the_general_parser_reads_them(string text)
    {
        Assert.True(StoreValues.TryCoerce(text, ValueKind.Timestamp, out var read));
        Assert.True(DateTime.TryParseExact(text.Trim(), ["yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ss.FFFFFFF", "O"], CultureInfo.InvariantCulture,
            DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.RoundtripKind, out var expected));
        Assert.Equal(DateTime.SpecifyKind(expected, DateTimeKind.Unspecified), read);
        Assert.Equal(DateTimeKind.Unspecified, ((DateTime)read!).Kind);
    }

    [Theory]
    [InlineData("2023-02-29 00:00:00")]
    [InlineData("2015-13-04 05:06:07")]
    [InlineData("2015-03-04 24:06:07")]
    [InlineData("2015-03-04 05:60:07")]
    [InlineData("2015-03-04 05:06:07.12345678")]
    [InlineData("2015-03-04 05:06:0x")]
    [InlineData("20150304 050607")]
    [InlineData("garbage")]
    [InlineData("1999")]
    public void MIN007_texts_that_are_not_timestamps_stay_unreadable(string text) =>
        Assert.False(StoreValues.TryCoerce(text, ValueKind.Timestamp, out _));
}
