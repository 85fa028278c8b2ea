using Dataward.Consent;
using Dataward.Shredding;
using Dataward.Tests.Platform;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Shredding;

/// <summary>Consent evidence is sealed under the person's data key (MIN017): tests that check what was recorded read it
/// the way Dataward does.</summary>
public static class SealedEvidence
{
    public static async Task<string> EvidenceAsync(this TestApp app, ConsentEvent consent)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SubjectKeys>().DecryptAsync(consent.Evidence, ConsentService.EvidencePurpose);
    }
}
