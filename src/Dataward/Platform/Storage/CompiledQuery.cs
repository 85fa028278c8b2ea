using System.Collections.Concurrent;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Dataward.Platform.Storage;

/// <summary>An EF Core compiled query for a hot path (the token lookup of every API request), where translating the
/// LINQ tree on every call costs more than the lookup itself (docs/benchmarks.md). EF binds a compiled
/// query to the first model it runs against; each provider has its own model (ADR 0003) and a test process uses both,
/// so this keeps one per model.</summary>
public sealed class CompiledQuery<TArg, TResult>(Expression<Func<DatawardDbContext, TArg, CancellationToken, TResult>> query)
{
    private readonly ConcurrentDictionary<IModel, Func<DatawardDbContext, TArg, CancellationToken, Task<TResult>>> byModel = new();

    public Task<TResult> RunAsync(DatawardDbContext db, TArg argument, CancellationToken cancellationToken) =>
        byModel.GetOrAdd(db.Model, _ => EF.CompileAsyncQuery(query))(db, argument, cancellationToken);
}

/// <summary>The same for a query returning many rows (the connections and datasets every data-subject request reads).</summary>
public sealed class CompiledListQuery<TArg, TResult>(Expression<Func<DatawardDbContext, TArg, IQueryable<TResult>>> query)
{
    private readonly ConcurrentDictionary<IModel, Func<DatawardDbContext, TArg, IAsyncEnumerable<TResult>>> byModel = new();

    public async Task<List<TResult>> ToListAsync(DatawardDbContext db, TArg argument, CancellationToken cancellationToken)
    {
        var results = new List<TResult>();
        await foreach (var result in byModel.GetOrAdd(db.Model, _ => EF.CompileAsyncQuery(query))(db, argument).WithCancellation(cancellationToken))
        {
            results.Add(result);
        }
        return results;
    }
}

/// <summary>A compiled query returning many rows, without an argument.</summary>
public sealed class CompiledListQuery<TResult>(Expression<Func<DatawardDbContext, IQueryable<TResult>>> query)
{
    private readonly ConcurrentDictionary<IModel, Func<DatawardDbContext, IAsyncEnumerable<TResult>>> byModel = new();

    public async Task<List<TResult>> ToListAsync(DatawardDbContext db, CancellationToken cancellationToken)
    {
        var results = new List<TResult>();
        await foreach (var result in byModel.GetOrAdd(db.Model, _ => EF.CompileAsyncQuery(query))(db).WithCancellation(cancellationToken))
        {
            results.Add(result);
        }
        return results;
    }
}
