using Windsock.Server.Authentication;
using Windsock.Server.Configuration;

namespace Windsock.Cli;

/// <summary>Everything read from files at start or reload: the options, the users and the groups.</summary>
internal sealed record LoadedConfiguration(ServerOptions Options, ICredentialVerifier? Credentials, IReadOnlyDictionary<string, IReadOnlyList<string>> Groups);
