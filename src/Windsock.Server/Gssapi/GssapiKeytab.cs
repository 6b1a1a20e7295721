using System.Runtime.InteropServices;

namespace Windsock.Server.Gssapi;

/// <summary>
/// Points the system GSSAPI library's acceptor at the configured keytab. .NET's NegotiateAuthentication
/// accepts with the default credential, which MIT krb5 takes from KRB5_KTNAME or /etc/krb5.keytab as the
/// native environment says; setting the variable from .NET does not reach the native environment, so the
/// server calls MIT's own switch instead. It is process-wide: a reload that names another keytab moves
/// every later context establishment to it; running sessions are already past theirs.
/// </summary>
internal static partial class GssapiKeytab
{
    private const string Library = "libgssapi_krb5.so.2";

    private static readonly Lock Gate = new();
    private static string? _registered;

    /// <summary>Makes <paramref name="path"/> the acceptor's keytab; returns an error text when the library refuses or is missing.</summary>
    public static string? Register(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        lock (Gate)
        {
            if (string.Equals(_registered, path, StringComparison.Ordinal))
            {
                return null;
            }

            try
            {
                uint status = RegisterAcceptorIdentity(path);
                if (status != 0)
                {
                    return $"the GSSAPI library refused the keytab {path} (major status 0x{status:X8})";
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return $"MIT Kerberos' GSSAPI library ({Library}) is not installed or lacks krb5_gss_register_acceptor_identity: {e.Message}";
            }

            _registered = path;
            return null;
        }
    }

    [LibraryImport(Library, EntryPoint = "krb5_gss_register_acceptor_identity", StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint RegisterAcceptorIdentity(string keytab);
}
