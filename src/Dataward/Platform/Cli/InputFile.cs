namespace Dataward.Platform.Cli;

/// <summary>Reads a file named on the command line, refusing a missing file or one above a size.</summary>
public static class InputFile
{
    public static async Task<(string? Text, string? Error)> ReadAsync(FileInfo file, int maxBytes, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            return (null, $"{file.FullName}: no such file.");
        }
        if (file.Length > maxBytes)
        {
            return (null, $"{file.FullName}: larger than {maxBytes / 1024 / 1024} MB; refused.");
        }
        return (await File.ReadAllTextAsync(file.FullName, cancellationToken), null);
    }
}
