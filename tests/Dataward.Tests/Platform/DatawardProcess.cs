using System.Diagnostics;
using System.Text;

namespace Dataward.Tests.Platform;

/// <summary>Runs the real <c>dataward</c> executable as a child process, as an operator would.</summary>
public static class DatawardProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string LastLine => Stdout.TrimEnd().Split('\n').Last().Trim();
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "dataward.dll");

    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Executable);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // The child must not inherit this test run's settings by accident.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)
                     || k.StartsWith("Storage__", StringComparison.Ordinal) || k == "ASPNETCORE_URLS").ToList())
        {
            info.Environment.Remove(key);
        }
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        return info;
    }

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, string? stdin, params string[] args) =>
        await RunInAsync(environment, Directory.CreateTempSubdirectory("dataward-cli-").FullName, stdin, args);

    public static async Task<Result> RunInAsync(IReadOnlyDictionary<string, string> environment, string workingDirectory,
        string? stdin, params string[] args)
    {
        using var process = Process.Start(StartInfo(environment, workingDirectory, args))!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>dataward serve</c> on a free loopback port and waits until it listens.</summary>
    public static async Task<(Process Process, Uri Address, StringBuilder Output)> ServeAsync(
        IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] extraArgs)
    {
        var output = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = StartInfo(environment, workingDirectory, ["serve", .. extraArgs]) };
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (output)
            {
                output.AppendLine(line);
            }
            const string marker = "Now listening on: ";
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(new Uri(line[(at + marker.Length)..].Trim().Trim('"', ',', '}')));
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"dataward serve exited: {output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(1));
        return (process, address, output);
    }
}
