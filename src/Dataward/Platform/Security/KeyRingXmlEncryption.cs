using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Dataward.Platform.Security;

/// <summary>Wraps ASP.NET Data Protection keys (which protect session cookies and antiforgery tokens) with the key
/// ring before they are stored in the database, so a copy of the database alone cannot forge a session.</summary>
public sealed class KeyRingXmlEncryptor(KeyRing keys) : IXmlEncryptor
{
    public const string Purpose = "dataprotection.key";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement) => new(
        new XElement("encryptedKey",
            new XComment(" Encrypted with the Dataward key ring (Security:MasterKey) "),
            new XElement("value", keys.Encrypt(plaintextElement.ToString(SaveOptions.DisableFormatting), Purpose))),
        typeof(KeyRingXmlDecryptor));
}

/// <summary>The decrypting half, created by Data Protection's activator with the application's services.</summary>
public sealed class KeyRingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<KeyRing>().Decrypt(
            (string?)encryptedElement.Element("value") ?? throw new InvalidOperationException("The encrypted key has no value."),
            KeyRingXmlEncryptor.Purpose));
}
