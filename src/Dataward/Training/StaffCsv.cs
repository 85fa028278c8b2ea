using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Dataward.Domain;

namespace Dataward.Training;

/// <summary>One line of a staff file, as written: <see cref="StartDate"/> is null when <see cref="StartDateText"/> is not a date.</summary>
public sealed record StaffCsvRow(int Line, string? Name, string? Email, DateOnly? StartDate, string? StartDateText, string? Department);

/// <summary>Reads a staff list exported from an HR system: a header line naming the columns <c>name</c>,
/// <c>email</c>, <c>start date</c> and (optionally) <c>department</c>, in any order and any case; other columns are
/// ignored. Dates are ISO 8601 (yyyy-MM-dd), which every spreadsheet can write.</summary>
public static class StaffCsv
{
    public const int MaxBytes = 2 * 1024 * 1024;
    public const int MaxRows = 10_000;

    private static readonly Dictionary<string, string> Columns = new(StringComparer.Ordinal)
    {
        ["name"] = "name",
        ["fullname"] = "name",
        ["email"] = "email",
        ["emailaddress"] = "email",
        ["startdate"] = "startDate",
        ["started"] = "startDate",
        ["start"] = "startDate",
        ["department"] = "department",
        ["dept"] = "department",
        ["team"] = "department",
    };

    public static Outcome<IReadOnlyList<StaffCsvRow>> Parse(string text)
    {
        var badLines = new SortedSet<int>();
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = true,
            MissingFieldFound = null,
            BadDataFound = args => badLines.Add(args.Context.Parser?.RawRow ?? 0),
            TrimOptions = TrimOptions.Trim,
        };
        var rows = new List<StaffCsvRow>();
        try
        {
            using var reader = new StringReader(text.TrimStart('\uFEFF'));
            using var csv = new CsvReader(reader, configuration);
            if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
            {
                return Fail("file", "The file is empty: the first line names the columns (name, email, start date, department).");
            }
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                if (Columns.TryGetValue(Normalise(header[i]), out var column))
                {
                    index.TryAdd(column, i);
                }
            }
            var missing = new[] { "name", "email", "startDate" }.Where(c => !index.ContainsKey(c)).ToList();
            if (missing.Count > 0)
            {
                return Fail("header", $"The first line must name the columns name, email and start date (department is optional); missing: {string.Join(", ", missing)}.");
            }
            while (csv.Read())
            {
                if (rows.Count == MaxRows)
                {
                    return Fail("file", $"At most {MaxRows:N0} people per file.");
                }
                var line = csv.Parser.RawRow;
                string? Field(string column) => index.TryGetValue(column, out var i) && csv.TryGetField<string>(i, out var value) ? value : null;
                var dateText = Field("startDate");
                DateOnly? date = DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : null;
                if (Field("name") is null or "" && Field("email") is null or "" && string.IsNullOrEmpty(dateText) && Field("department") is null or "")
                {
                    continue;
                }
                rows.Add(new StaffCsvRow(line, Field("name"), Field("email"), date, dateText, Field("department")));
            }
        }
        catch (CsvHelperException e)
        {
            var line = e.Context?.Parser?.RawRow ?? 0;
            return Fail(line > 0 ? $"lines[{line}]" : "file", line > 0 ? $"Line {line}: this line cannot be read as CSV." : "The file cannot be read as CSV.");
        }
        if (badLines.Count > 0)
        {
            return Outcome<IReadOnlyList<StaffCsvRow>>.Fail(FailureKind.Invalid, [.. badLines.Select(l => new Violation($"lines[{l}]",
                $"Line {l}: a quote in the middle of a field; put the whole field in double quotes and double any quote inside it."))]);
        }
        if (rows.Count == 0)
        {
            return Fail("file", "The file names its columns but lists nobody.");
        }
        return Outcome<IReadOnlyList<StaffCsvRow>>.Success(rows);
    }

    private static Outcome<IReadOnlyList<StaffCsvRow>> Fail(string field, string message) => Outcome<IReadOnlyList<StaffCsvRow>>.Invalid(field, message);

    private static string Normalise(string header) =>
        new(header.Where(char.IsLetter).Select(char.ToLowerInvariant).ToArray());
}
