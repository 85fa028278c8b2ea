using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Platform.Storage;

/// <summary>For the few hot paths that leave EF Core for raw ADO.NET (the audit append, the consent check; ADR 0001).</summary>
public static class PlainConnections
{
    /// <summary>A new, closed, pooled ADO.NET connection to the context's database, outside EF: EF's own SQLite connection
    /// re-registers its functions on every open and close, which costs as much as a one-row statement itself.</summary>
    public static DbConnection CreatePlainConnection(this DatawardDbContext db)
    {
        var connection = DbProviderFactories.GetFactory(db.Database.GetDbConnection())!.CreateConnection()!;
        connection.ConnectionString = db.Database.GetConnectionString();
        return connection;
    }
}
