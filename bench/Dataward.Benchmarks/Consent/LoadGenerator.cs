using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dataward.Benchmarks.Consent;

/// <summary>One kind of request the load generator sends: the next path and query for a worker's random source, and the
/// answer it must get (<c>true</c>/<c>false</c> for a consent check's <c>allowed</c>, null for any 200).</summary>
internal sealed record LoadTarget(string Name, string? BearerToken, Func<Random, (string PathAndQuery, bool? Allowed)> Next);

/// <summary>What one slice of load measured: completed requests and each one's latency in <see cref="Stopwatch"/> ticks.</summary>
internal sealed record LoadSlice(long Requests, TimeSpan Elapsed, long[] Latencies, long Wrong);

/// <summary>A closed-loop HTTP/1.1 load generator for loopback: a fixed number of keep-alive connections, each sending its
/// next request as soon as the previous answer has arrived, for a fixed time. It writes requests and parses answers on raw
/// sockets, because on a 2-core machine every microsecond the client spends is taken from the server: HttpClient costs
/// several times more per request than this.</summary>
internal static class LoadGenerator
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] AllowedTrue = "\"allowed\":true"u8.ToArray();
    private static readonly byte[] AllowedFalse = "\"allowed\":false"u8.ToArray();

    public static async Task<LoadSlice> RunAsync(IPEndPoint server, LoadTarget target, int connections, TimeSpan duration, int seed)
    {
        var sockets = new Socket[connections];
        for (var i = 0; i < connections; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await sockets[i].ConnectAsync(server);
        }
        // A slice that outlives its duration by this much has a stuck server: give up rather than wait for ever.
        using var stuck = new CancellationTokenSource(duration + TimeSpan.FromSeconds(30));
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task<Worker>[connections];
        for (var i = 0; i < connections; i++)
        {
            var worker = new Worker(sockets[i], server, target, new Random(seed * 1000 + i));
            workers[i] = Task.Run(async () => { await worker.RunAsync(deadline, stuck.Token); return worker; });
        }
        var done = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start);
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
        return new LoadSlice(done.Sum(w => (long)w.Latencies.Count), elapsed, [.. done.SelectMany(w => w.Latencies)], done.Sum(w => w.Wrong));
    }

    private sealed class Worker(Socket socket, IPEndPoint server, LoadTarget target, Random random)
    {
        private readonly byte[] request = new byte[4096];
        private readonly byte[] response = new byte[16384];
        private readonly byte[] prefix = "GET "u8.ToArray();
        private readonly byte[] suffix = Encoding.ASCII.GetBytes($" HTTP/1.1\r\nHost: {server}\r\n" +
            (target.BearerToken is { } token ? $"Authorization: Bearer {token}\r\n" : "") + "\r\n");

        public List<long> Latencies { get; } = new(200_000);

        public long Wrong { get; private set; }

        public async Task RunAsync(long deadline, CancellationToken cancellationToken)
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var (path, allowed) = target.Next(random);
                var length = Compose(path);
                var sent = Stopwatch.GetTimestamp();
                await socket.SendAsync(request.AsMemory(0, length), SocketFlags.None, cancellationToken);
                var (status, body) = await ReceiveAsync(cancellationToken);
                Latencies.Add(Stopwatch.GetTimestamp() - sent);
                var span = response.AsSpan(body);
                if (status != 200 || (allowed is { } expected && span.IndexOf(expected ? AllowedTrue : AllowedFalse) < 0))
                {
                    Wrong++;
                }
            }
        }

        private int Compose(string path)
        {
            prefix.CopyTo(request, 0);
            var length = prefix.Length + Encoding.ASCII.GetBytes(path, request.AsSpan(prefix.Length));
            suffix.CopyTo(request, length);
            return length + suffix.Length;
        }

        /// <summary>Reads one whole answer (Content-Length or chunked) and returns its status and where its body lies in the
        /// buffer (chunk framing left in place: it is only searched).</summary>
        private async Task<(int Status, Range Body)> ReceiveAsync(CancellationToken cancellationToken)
        {
            var received = 0;
            int headerEnd;
            while ((headerEnd = response.AsSpan(0, received).IndexOf(HeaderEnd)) < 0)
            {
                received += await ReadAsync(received, cancellationToken);
            }
            var bodyStart = headerEnd + HeaderEnd.Length;
            var headers = response.AsSpan(0, headerEnd);
            Utf8Parser.TryParse(headers["HTTP/1.1 ".Length..], out int status, out _);
            var lengthText = HeaderValue(headers, "content-length: "u8);
            if (!lengthText.IsEmpty)
            {
                Utf8Parser.TryParse(lengthText, out int contentLength, out _);
                while (received < bodyStart + contentLength)
                {
                    received += await ReadAsync(received, cancellationToken);
                }
                return (status, bodyStart..(bodyStart + contentLength));
            }
            // Chunked: the answers here are small, so the terminating empty chunk ends the buffer.
            while (!response.AsSpan(bodyStart, received - bodyStart).EndsWith("\r\n0\r\n\r\n"u8) &&
                   !response.AsSpan(bodyStart, received - bodyStart).SequenceEqual("0\r\n\r\n"u8))
            {
                received += await ReadAsync(received, cancellationToken);
            }
            return (status, bodyStart..received);
        }

        private async Task<int> ReadAsync(int offset, CancellationToken cancellationToken)
        {
            if (offset == response.Length)
            {
                throw new InvalidOperationException("An answer larger than the load generator's buffer.");
            }
            var read = await socket.ReceiveAsync(response.AsMemory(offset), SocketFlags.None, cancellationToken);
            return read > 0 ? read : throw new InvalidOperationException("The server closed a keep-alive connection.");
        }

        private static ReadOnlySpan<byte> HeaderValue(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> name)
        {
            // Kestrel writes header names in a fixed case; compare case-insensitively anyway.
            for (var line = headers; line.Length > 0;)
            {
                var end = line.IndexOf("\r\n"u8);
                var current = end < 0 ? line : line[..end];
                if (current.Length > name.Length && Ascii.EqualsIgnoreCase(current[..name.Length], name))
                {
                    return current[name.Length..];
                }
                line = end < 0 ? [] : line[(end + 2)..];
            }
            return [];
        }
    }
}
