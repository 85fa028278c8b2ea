using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Platform.Web;

/// <summary>Reads a file sent as a request body (register and dataset imports), refusing it with 413 above a size.
/// The endpoint raises Kestrel's own limit to the same size with <c>RequestSizeLimitAttribute</c>.</summary>
public static class TextUpload
{
    public static async Task<(string? Text, ProblemHttpResult? Refusal)> ReadAsync(HttpRequest request, int maxBytes, string what,
        CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                detail: $"A {what} is at most {maxBytes / 1024 / 1024} MB."));
        }
        using var reader = new StreamReader(request.Body);
        return (await reader.ReadToEndAsync(cancellationToken), null);
    }
}
