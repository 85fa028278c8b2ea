using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Dataward.Platform.Web;

/// <summary>Declares the Bearer token scheme in the OpenAPI document so clients and the reference page offer it.</summary>
internal sealed class BearerSecurityTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Dataward API";
        document.Info.Description = "Data-protection operations: register, consent, requests, retention, breaches and the audit trail. " +
            "Authenticate with `Authorization: Bearer <token>` (create one with `dataward tokens create`).";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A Dataward API token (dw_...).",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
        return Task.CompletedTask;
    }
}
