using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Sessions;

namespace Strata.SessionApi;

/// <summary>
/// Source-generated JSON metadata of every body the endpoints read or write, first in the HTTP JSON options' resolver
/// chain: the endpoints serialize without reflection, which a Native AOT build needs (where it is the only resolver),
/// and a JIT build runs the same metadata.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(AddMessageRequest))]
[JsonSerializable(typeof(BulkStatusRequest))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(ChatSession))]
[JsonSerializable(typeof(SessionWithMessages))]
[JsonSerializable(typeof(SessionPage))]
[JsonSerializable(typeof(SessionStatistics))]
[JsonSerializable(typeof(IReadOnlyList<ChatSession>))]
[JsonSerializable(typeof(CountResponse))]
internal sealed partial class ApiJson : JsonSerializerContext;
