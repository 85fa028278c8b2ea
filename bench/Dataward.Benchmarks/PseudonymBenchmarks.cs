using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Dataward.Domain.Pseudonymisation;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.Options;

namespace Dataward.Benchmarks;

/// <summary>Pseudonyms per second (issue 6): <see cref="Pseudonymiser"/> against raw <c>HMACSHA256.HashData</c> over the
/// UTF-8 bytes of the same inputs (the baseline), side by side with Microsoft.Extensions.Compliance.Redaction's
/// <see cref="HmacRedactor"/> under a key of the same length. Each operation is one value of 1,024 e-mail addresses
/// (18 to 40 characters). Ratio column = time / baseline time; pseudonyms per second as a share of raw HMACs per
/// second is its inverse (goal: at least 0.8).</summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class PseudonymBenchmarks
{
    private const int Values = 1024;

    private sealed class Config : ManualConfig
    {
        // In process, as the audit benchmark: a separately built job times out on the shared machine.
        public Config() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(20));
    }

    private readonly string[] inputs = [.. Enumerable.Range(0, Values).Select(i => $"person{i * 7919 % 100_000}.{(char)('a' + i % 26)}@example{i % 13}.org")];
    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    private readonly char[] buffer = new char[128];
    private Pseudonymiser pseudonymiser = null!;
    private HmacRedactor redactor = null!;

    [GlobalSetup]
    public void Setup()
    {
        pseudonymiser = new Pseudonymiser("sharing.dsa-2026-0001", 1, key);
        redactor = new HmacRedactor(Options.Create(new HmacRedactorOptions { Key = Convert.ToBase64String(key), KeyId = 1 }));
        // The two sides compute the same MAC: the baseline is what a pseudonym costs at the least.
        var mac = System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(inputs[0])));
        if (!pseudonymiser.Pseudonymise(inputs[0]).EndsWith(mac, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The pseudonym is not the HMAC of its input.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Values, Description = "raw HMACSHA256.HashData(key, UTF-8 bytes)")]
    public int RawHmac()
    {
        var sum = 0;
        foreach (var input in inputs)
        {
            sum += HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(input))[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Values, Description = "Pseudonymiser.Pseudonymise (text): string out")]
    public int Pseudonym()
    {
        var sum = 0;
        foreach (var input in inputs)
        {
            sum += pseudonymiser.Pseudonymise(input).Length;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Values, Description = "Pseudonymiser.Pseudonymise (email: case-folded)")]
    public int EmailPseudonym()
    {
        var sum = 0;
        foreach (var input in inputs)
        {
            sum += pseudonymiser.Pseudonymise(input, IdentifierKind.Email).Length;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Values, Description = "Pseudonymiser.TryPseudonymise: into a buffer")]
    public int PseudonymIntoBuffer()
    {
        var sum = 0;
        foreach (var input in inputs)
        {
            pseudonymiser.TryPseudonymise(input, buffer, out var written);
            sum += written;
        }
        return sum;
    }

    private IncrementalHash? incremental;

    [Benchmark(OperationsPerInvoke = Values, Description = "raw IncrementalHash HMAC kept open (keyed once)")]
    public int ReusedHmac()
    {
        incremental ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        Span<byte> mac = stackalloc byte[32];
        Span<byte> bytes = stackalloc byte[256];
        var sum = 0;
        foreach (var input in inputs)
        {
            var count = Encoding.UTF8.GetBytes(input, bytes);
            incremental.AppendData(bytes[..count]);
            incremental.TryGetHashAndReset(mac, out _);
            sum += mac[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Values, Description = "HmacRedactor.Redact(string)")]
    public int Redactor()
    {
        var sum = 0;
        foreach (var input in inputs)
        {
            sum += redactor.Redact(input).Length;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Values, Description = "HmacRedactor.Redact: into a buffer")]
    public int RedactorIntoBuffer()
    {
        var sum = 0;
        foreach (var input in inputs)
        {
            sum += redactor.Redact(input.AsSpan(), buffer);
        }
        return sum;
    }
}
