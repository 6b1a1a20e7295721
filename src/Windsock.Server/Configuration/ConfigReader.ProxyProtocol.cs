using System.Net;
using Tomlyn.Syntax;

namespace Windsock.Server.Configuration;

/// <summary><c>server.proxy_protocol_from</c>: the balancer networks whose connections start with a PROXY protocol header.</summary>
internal sealed partial class ConfigReader
{
    private const string BalancerExample = "[\"10.0.0.5/32\"]";

    internal List<IPNetwork>? ReadProxyProtocolFrom(string key, ValueSyntax value)
    {
        List<(string Text, StringValueSyntax Node)>? items = ReadStringArray(key, value, BalancerExample);
        if (items is null)
        {
            return null;
        }

        var result = new List<IPNetwork>();
        bool ok = true;
        foreach ((string text, StringValueSyntax node) in items)
        {
            if (!AddressValues.TryParseNetwork(text, out IPNetwork network, out ValueProblem problem))
            {
                Problem(node, problem);
                ok = false;
            }
            else if (OpenProxyGuard.IsEveryone(network))
            {
                // A header names the client that rules, limits and the log believe: whoever may send one can be anyone.
                Problem(node, $"{key} lists {network}, so almost anyone could send a PROXY header and claim any client address",
                    $"list only the balancers' own addresses, e.g. {BalancerExample}");
                ok = false;
            }
            else
            {
                result.Add(network);
            }
        }

        return ok ? result : null;
    }
}
