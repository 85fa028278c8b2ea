using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Dataward.Benchmarks.Consent;

/// <summary>One kind of request the load generator sends: the next path and query for a worker's random source, and the
/// answer it must get (<c>true</c>/<c>false</c> for a consent check's <c>allowed</c>, null for any 200).</summary>
internal sealed record LoadTarget(string Name, string? BearerToken, Func<Random, (string PathAndQuery, bool? Allowed)> Next);

/// <summary>What one slice of load measured: completed requests and each one's latency in <see cref="Stopwatch"/> ticks.</summary>
internal sealed record LoadSlice(long Requests, TimeSpan Elapsed, long[] Latencies, long Wrong);

/// <summary>A closed-loop HTTP/1.1 load generator for loopback: a fixed number of workers, each with one request in
/// flight on its own keep-alive connection, sending the next as soon as the answer has arrived, for a fixed time.
/// One client per target keeps its connections open from the warm-up to the last slice.</summary>
internal sealed class LoadGenerator(IPEndPoint server, LoadTarget target, int connections) : IDisposable
{
    private static readonly byte[] AllowedTrue = "\"allowed\":true"u8.ToArray();
    private static readonly byte[] AllowedFalse = "\"allowed\":false"u8.ToArray();

    private readonly HttpClient client = Client(server, target, connections);

    public LoadTarget Target => target;

    private static HttpClient Client(IPEndPoint server, LoadTarget target, int connections)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://{server}"),
            // A slower answer means a stuck server: the slice fails rather than waits for ever.
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (target.BearerToken is { } token)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    public async Task<LoadSlice> RunAsync(TimeSpan duration, int seed)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = await Task.WhenAll(Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            var random = new Random(seed * 1000 + i);
            var latencies = new List<long>(100_000);
            var wrong = 0L;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var (path, allowed) = target.Next(random);
                var sent = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(path);
                var body = await response.Content.ReadAsByteArrayAsync();
                latencies.Add(Stopwatch.GetTimestamp() - sent);
                if (response.StatusCode != HttpStatusCode.OK
                    || (allowed is { } expected && body.AsSpan().IndexOf(expected ? AllowedTrue : AllowedFalse) < 0))
                {
                    wrong++;
                }
            }
            return (latencies, wrong);
        })));
        return new LoadSlice(workers.Sum(w => (long)w.latencies.Count), Stopwatch.GetElapsedTime(start),
            [.. workers.SelectMany(w => w.latencies)], workers.Sum(w => w.wrong));
    }

    public void Dispose() => client.Dispose();
}
