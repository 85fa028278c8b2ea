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

    /// <summary>An erasure's proof fingerprints and resume digests hash the canonical text the engine writes into a
    /// buffer: it must be the text <see cref="StoreValues.Canonical(IEnumerable{object?})"/> gives, value for value.</summary>
    [Fact]
    public void DSR016_canonical_text_written_into_a_buffer_is_the_canonical_string()
    {
        object?[][] keys =
        [
            [], [1L], [-42L, 7], [long.MinValue, long.MaxValue], [(short)3, (byte)4], ["ada@example.com"], [""], [null], [DBNull.Value],
            ["a:b", 12L, null, "\u00e9t\u00e9 \ud83d\ude00"], [3.5m, 2.25d, true, false, new DateTime(2026, 11, 26, 10, 0, 0, DateTimeKind.Utc)],
            [new DateOnly(2026, 1, 2), Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), new byte[] { 1, 2, 255 }, 1.5f],
        ];
        foreach (var key in keys)
        {
            var buffer = new char[512];
            Assert.True(StoreValues.TryWriteCanonical(key, buffer, out var written));
            Assert.Equal(StoreValues.Canonical(key), new string(buffer, 0, written));
        }
        var tooLong = new object?[] { new string('x', 100) };
        Assert.False(StoreValues.TryWriteCanonical(tooLong, new char[50], out _));
    }
}
