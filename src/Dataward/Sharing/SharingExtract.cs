using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Dataward.Connectors.Stores;
using Dataward.Domain.Pseudonymisation;
using Dataward.Domain.Sharing;
using Dataward.Pseudonymisation;

namespace Dataward.Sharing;

/// <summary>One field of an extract: its profile in the connected collection and its agreed treatment.</summary>
public sealed record ExtractField(FieldProfile Profile, string Treatment)
{
    public string Name => Profile.Name;
}

/// <summary>What an extract held: its records, the k-anonymity over the quasi-identifiers it contains (null when it
/// holds none), and the label that allows (MIN016).</summary>
public sealed record ExtractResult(long Records, KAnonymityReport? KAnonymity, string Label);

/// <summary>Reads a connected collection row by row and writes only the given fields, each treated as agreed (MIN018):
/// as is, as a keyed pseudonym of the agreement's domain, or generalised per §4.1 (MIN014). Rows stream from the
/// database to the output; memory holds one row, plus counts of quasi-identifier groups and outward codes.</summary>
public sealed class SharingExtract(ConnectedCollection collection, IReadOnlyList<ExtractField> fields, Pseudonymiser? pseudonymiser,
    IReadOnlyList<string> quasiIdentifiers, int k)
{
    public const string Csv = "csv";
    public const string Json = "json";
    public static readonly IReadOnlyList<string> Formats = [Csv, Json];

    /// <summary>Writes the extract to <paramref name="output"/> in <paramref name="format"/>; <paramref name="header"/>
    /// is written at the top of a JSON extract (the agreement and collection it comes from).</summary>
    public async Task<ExtractResult> WriteAsync(Stream output, string format, IReadOnlyDictionary<string, string> header, CancellationToken cancellationToken)
    {
        var columns = fields.Select(f => f.Name).ToList();
        var sparse = await SparseOutwardCodesAsync(cancellationToken);
        var qiIndexes = quasiIdentifiers.Select(q => columns.IndexOf(q)).Where(i => i >= 0).ToArray();
        var counter = qiIndexes.Length > 0 ? new KAnonymityCounter([.. qiIndexes.Select(i => columns[i])]) : null;
        var qiValues = new string?[qiIndexes.Length];
        var treated = new object?[fields.Count];
        long records = 0;
        await using var writer = format == Json ? (IRowWriter)new JsonRowWriter(output, header, columns) : new CsvRowWriter(output, columns);
        await foreach (var row in collection.ReadAsync(columns, cancellationToken))
        {
            for (var i = 0; i < fields.Count; i++)
            {
                treated[i] = Treat(fields[i], row[fields[i].Name], sparse);
            }
            if (counter is not null)
            {
                for (var q = 0; q < qiIndexes.Length; q++)
                {
                    qiValues[q] = Text(treated[qiIndexes[q]]);
                }
                counter.Add(qiValues);
            }
            await writer.WriteAsync(treated, cancellationToken);
            records++;
        }
        var report = counter?.Report(k);
        var label = ReleaseLabels.For(
            directIdentifierInClear: fields.Any(f => f.Profile.DirectIdentifier && f.Treatment == Treatments.AsIs),
            anyPseudonymOrIdentifier: fields.Any(f => f.Treatment == Treatments.Pseudonymise || (f.Profile.DirectIdentifier && f.Treatment != Treatments.Generalise)),
            check: report);
        await writer.FinishAsync(records, label, report, cancellationToken);
        return new ExtractResult(records, report, label);
    }

    // §4.1: an outward code shared by fewer than k records is widened to its postcode area, which needs their counts
    // first: one extra pass over the postcode columns, only when a postcode is generalised.
    private async Task<IReadOnlySet<string>> SparseOutwardCodesAsync(CancellationToken cancellationToken)
    {
        var postcodes = fields.Where(f => f.Treatment == Treatments.Generalise && f.Profile.GeneralisationKind == GeneralisationKind.Postcode)
            .Select(f => f.Name).ToList();
        if (postcodes.Count == 0)
        {
            return new HashSet<string>();
        }
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var row in collection.ReadAsync(postcodes, cancellationToken))
        {
            foreach (var column in postcodes)
            {
                if (row[column] is string value && Generalisation.OutwardCode(value) is { } outward)
                {
                    counts[outward] = counts.GetValueOrDefault(outward) + 1;
                }
            }
        }
        return counts.Where(c => c.Value < k).Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
    }

    private object? Treat(ExtractField field, object? value, IReadOnlySet<string> sparse)
    {
        if (value is null)
        {
            return null;
        }
        switch (field.Treatment)
        {
            case Treatments.Pseudonymise:
                return pseudonymiser!.Pseudonymise(Text(value)!, field.Profile.IdentifierKind);
            case Treatments.Generalise:
                var general = Generalisation.Apply(value, field.Profile.GeneralisationKind);
                return general is not null && field.Profile.GeneralisationKind == GeneralisationKind.Postcode && sparse.Contains(general)
                    ? Generalisation.PostcodeArea(general)
                    : general;
            default:
                return value;
        }
    }

    /// <summary>Options for a file only this process's user can read: extracts hold personal data.</summary>
    public static FileStreamOptions PrivateFile(FileMode mode, FileAccess access, FileOptions options = FileOptions.None)
    {
        var file = new FileStreamOptions { Mode = mode, Access = access, Options = options };
        if (!OperatingSystem.IsWindows())
        {
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return file;
    }

    /// <summary>A value as text in an extract: invariant, ISO 8601 dates, base64 bytes.</summary>
    public static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        DateTime d => d.Kind == DateTimeKind.Utc ? d.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture)
            : d.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset o => o.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        byte[] bytes => Convert.ToBase64String(bytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private interface IRowWriter : IAsyncDisposable
    {
        Task WriteAsync(object?[] values, CancellationToken cancellationToken);

        Task FinishAsync(long records, string label, KAnonymityReport? report, CancellationToken cancellationToken);
    }

    private sealed class CsvRowWriter : IRowWriter
    {
        private readonly StreamWriter text;
        private readonly CsvWriter csv;
        private readonly int width;
        private bool headerWritten;
        private readonly IReadOnlyList<string> columns;

        public CsvRowWriter(Stream output, IReadOnlyList<string> columns)
        {
            text = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
            csv = new CsvWriter(text, CultureInfo.InvariantCulture, leaveOpen: true);
            width = columns.Count;
            this.columns = columns;
        }

        public async Task WriteAsync(object?[] values, CancellationToken cancellationToken)
        {
            await HeaderAsync();
            for (var i = 0; i < width; i++)
            {
                csv.WriteField(Text(values[i]));
            }
            await csv.NextRecordAsync();
        }

        public async Task FinishAsync(long records, string label, KAnonymityReport? report, CancellationToken cancellationToken)
        {
            await HeaderAsync();
            await csv.FlushAsync();
            await text.FlushAsync(cancellationToken);
        }

        private async Task HeaderAsync()
        {
            if (headerWritten)
            {
                return;
            }
            foreach (var column in columns)
            {
                csv.WriteField(column);
            }
            await csv.NextRecordAsync();
            headerWritten = true;
        }

        public async ValueTask DisposeAsync()
        {
            await csv.DisposeAsync();
            await text.DisposeAsync();
        }
    }

    // {"agreement": ..., "collection": ..., "records": [{...}], "recordCount": n, "label": ..., "kAnonymity": {...}}
    private sealed class JsonRowWriter : IRowWriter
    {
        private const int FlushBytes = 64 * 1024;
        private readonly Stream output;
        private readonly Utf8JsonWriter json;
        private readonly IReadOnlyList<string> columns;
        private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

        public JsonRowWriter(Stream output, IReadOnlyDictionary<string, string> header, IReadOnlyList<string> columns)
        {
            this.output = output;
            this.columns = columns;
            json = new Utf8JsonWriter(output);
            json.WriteStartObject();
            foreach (var (name, value) in header)
            {
                json.WriteString(name, value);
            }
            json.WriteStartArray("records");
        }

        public async Task WriteAsync(object?[] values, CancellationToken cancellationToken)
        {
            json.WriteStartObject();
            for (var i = 0; i < columns.Count; i++)
            {
                json.WritePropertyName(columns[i]);
                switch (values[i])
                {
                    case null:
                        json.WriteNullValue();
                        break;
                    case long l:
                        json.WriteNumberValue(l);
                        break;
                    case int n:
                        json.WriteNumberValue(n);
                        break;
                    case decimal m:
                        json.WriteNumberValue(m);
                        break;
                    case double d when double.IsFinite(d):
                        json.WriteNumberValue(d);
                        break;
                    case bool b:
                        json.WriteBooleanValue(b);
                        break;
                    case var other:
                        json.WriteStringValue(Text(other));
                        break;
                }
            }
            json.WriteEndObject();
            if (json.BytesPending > FlushBytes)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        public async Task FinishAsync(long records, string label, KAnonymityReport? report, CancellationToken cancellationToken)
        {
            json.WriteEndArray();
            json.WriteNumber("recordCount", records);
            json.WriteString("label", label);
            if (report is not null)
            {
                json.WritePropertyName("kAnonymity");
                JsonSerializer.Serialize(json, report, Options);
            }
            json.WriteEndObject();
            await json.FlushAsync(cancellationToken);
            await output.FlushAsync(cancellationToken);
        }

        public ValueTask DisposeAsync() => json.DisposeAsync();
    }
}

/// <summary>Passes writes through to a file while computing their SHA-256, so the fingerprint logged is of exactly the
/// bytes written (MIN022).</summary>
public sealed class HashingStream(Stream inner) : Stream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesWritten { get; private set; }

    /// <summary>The SHA-256 of everything written, lower-case hex; call once, after the last write.</summary>
    public string Finish() => Convert.ToHexStringLower(hash.GetHashAndReset());

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        hash.AppendData(buffer);
        BytesWritten += buffer.Length;
        inner.Write(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        hash.AppendData(buffer.Span);
        BytesWritten += buffer.Length;
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => BytesWritten;

    public override long Position
    {
        get => BytesWritten;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
