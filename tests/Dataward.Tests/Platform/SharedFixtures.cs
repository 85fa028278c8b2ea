namespace Dataward.Tests.Platform;

/// <summary>The reference material in ../shared/fixtures beside the repository: mandatory under CI=true, skipped with
/// a reason in a user's fresh clone where the folder is absent.</summary>
public static class SharedFixtures
{
    public static string Folder(string relative)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Dataward.slnx")))
        {
            directory = directory.Parent;
        }
        var path = directory?.Parent is { } parent ? Path.Combine(parent.FullName, "shared", "fixtures", relative) : null;
        if (path is not null && Directory.Exists(path))
        {
            return path;
        }
        var reason = $"The reference fixtures (../shared/fixtures/{relative}) are not beside this clone.";
        if (TestDatabases.IsCi)
        {
            throw new InvalidOperationException($"CI=true makes conformance tests mandatory: {reason}");
        }
        Assert.Skip(reason);
        return "";
    }
}
