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
