using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Platform.Storage;

/// <summary>What a database error means, the same way on both providers.</summary>
public static class DatabaseErrors
{
    /// <summary>A primary-key or unique-index collision: someone else inserted the same key first, so retry.</summary>
    public static bool IsUniqueViolation(DbException e) => e switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 1555 or 2067, // PRIMARYKEY, UNIQUE
        _ => false,
    };

    public static bool IsUniqueViolation(DbUpdateException e) => e.InnerException is DbException inner && IsUniqueViolation(inner);
}
