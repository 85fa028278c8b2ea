using System.Security.Cryptography;
using System.Text;

namespace Dataward.Domain.Consent;

/// <summary>Name-based UUIDs, version 5 (SHA-1), as RFC 9562 §5.5 defines them: the same namespace and name always give
/// the same id. The BCL makes only random (v4) and time-ordered (v7) ids.</summary>
public static class NameBasedUuid
{
    /// <summary>RFC 9562 §6.6: the namespace for fully qualified domain names.</summary>
    public static readonly Guid Dns = new("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

    /// <summary>RFC 9562 §6.6: the namespace for URLs.</summary>
    public static readonly Guid Url = new("6ba7b811-9dad-11d1-80b4-00c04fd430c8");

    /// <summary>The namespace of ISO/IEC TS 27560 consent record ids: one record per (subject hash, purpose).</summary>
    public static readonly Guid ConsentRecords = Version5(Url, "https://w3id.org/dpv/schema/iso-27560#record");

    public static Guid Version5(Guid namespaceId, string name)
    {
        // The namespace is hashed in network byte order, then the name's UTF-8 bytes.
        Span<byte> input = stackalloc byte[16];
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        var hash = SHA1.HashData([.. input, .. Encoding.UTF8.GetBytes(name)]);
        var bytes = hash.AsSpan(0, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version 5
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // variant 10xx (RFC 9562)
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The 27560 record id of one subject's consent to one purpose (consent.md §3.4).</summary>
    public static Guid ConsentRecordId(string subjectHash, string purpose) => Version5(ConsentRecords, $"{subjectHash}/{purpose}");
}
