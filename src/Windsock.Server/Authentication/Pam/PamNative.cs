using System.Runtime.InteropServices;

namespace Windsock.Server.Authentication.Pam;

/// <summary>
/// The few entry points of Linux-PAM (libpam.so.0, Debian's libpam0g) an application needs to
/// check a password, with the constants of <c>security/_pam_types.h</c>. Source-generated
/// marshalling and function pointers only, so NativeAOT publishes it without warnings; the
/// library is loaded on first use, so a server without PAM configured never needs it.
/// </summary>
internal static unsafe partial class PamNative
{
    public const string Library = "libpam.so.0";

    // Return codes.
    public const int Success = 0;
    public const int OpenError = 1;
    public const int SymbolError = 2;
    public const int ServiceError = 3;
    public const int SystemError = 4;
    public const int BufferError = 5;
    public const int PermissionDenied = 6;
    public const int AuthError = 7;
    public const int CredentialsInsufficient = 8;
    public const int AuthInfoUnavailable = 9;
    public const int UserUnknown = 10;
    public const int MaxTries = 11;
    public const int NewAuthTokenRequired = 12;
    public const int AccountExpired = 13;
    public const int ConversationError = 19;
    public const int Abort = 26;

    // pam_set_item item types.
    public const int ItemRemoteHost = 4;
    public const int ItemFailDelay = 10;

    // Flags of pam_authenticate and pam_acct_mgmt.
    public const int Silent = 0x8000;
    public const int DisallowNullAuthToken = 0x0001;

    // Conversation message styles.
    public const int PromptEchoOff = 1;
    public const int PromptEchoOn = 2;
    public const int ErrorMessage = 3;
    public const int TextInfo = 4;

    /// <summary>Linux-PAM never sends more in one conversation call (PAM_MAX_NUM_MSG).</summary>
    public const int MaxMessages = 32;

    /// <summary>struct pam_message.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Message
    {
        public int Style;
        public byte* Text;
    }

    /// <summary>struct pam_response. PAM frees <see cref="Text"/> and the array with free(3).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Response
    {
        public byte* Text;
        public int ReturnCode;
    }

    /// <summary>
    /// struct pam_conv. <c>messages</c> is Linux-PAM's layout: an array of pointers to messages
    /// (Solaris passes a pointer to an array instead; this code is for Linux-PAM only).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Conversation
    {
        public delegate* unmanaged<int, Message**, Response**, void*, int> Converse;
        public void* AppData;
    }

    [LibraryImport(Library, EntryPoint = "pam_start", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Start(string serviceName, string user, Conversation* conversation, out nint handle);

    [LibraryImport(Library, EntryPoint = "pam_end")]
    public static partial int End(nint handle, int status);

    [LibraryImport(Library, EntryPoint = "pam_authenticate")]
    public static partial int Authenticate(nint handle, int flags);

    [LibraryImport(Library, EntryPoint = "pam_acct_mgmt")]
    public static partial int AccountManagement(nint handle, int flags);

    /// <summary>Returns a static string that must not be freed (hence a pointer, not a marshalled string).</summary>
    [LibraryImport(Library, EntryPoint = "pam_strerror")]
    public static partial byte* StrError(nint handle, int code);

    [LibraryImport(Library, EntryPoint = "pam_set_item", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetItem(nint handle, int itemType, string value);

    [LibraryImport(Library, EntryPoint = "pam_set_item")]
    public static partial int SetItem(nint handle, int itemType, void* value);

    /// <summary>Whether libpam can be loaded at all, so configuration errors surface at start, not at the first login.</summary>
    public static bool IsAvailable()
    {
        if (!NativeLibrary.TryLoad(Library, out nint library))
        {
            return false;
        }

        NativeLibrary.Free(library);
        return true;
    }

    /// <summary>"Authentication failure (PAM_AUTH_ERR)": PAM's own sentence and the constant to search for.</summary>
    public static string Describe(nint handle, int code)
    {
        string? text = Marshal.PtrToStringUTF8((nint)StrError(handle, code));
        return $"{text ?? "unknown error"} ({Name(code)})";
    }

    private static string Name(int code) => code switch
    {
        Success => "PAM_SUCCESS",
        OpenError => "PAM_OPEN_ERR",
        SymbolError => "PAM_SYMBOL_ERR",
        ServiceError => "PAM_SERVICE_ERR",
        SystemError => "PAM_SYSTEM_ERR",
        BufferError => "PAM_BUF_ERR",
        PermissionDenied => "PAM_PERM_DENIED",
        AuthError => "PAM_AUTH_ERR",
        CredentialsInsufficient => "PAM_CRED_INSUFFICIENT",
        AuthInfoUnavailable => "PAM_AUTHINFO_UNAVAIL",
        UserUnknown => "PAM_USER_UNKNOWN",
        MaxTries => "PAM_MAXTRIES",
        NewAuthTokenRequired => "PAM_NEW_AUTHTOK_REQD",
        AccountExpired => "PAM_ACCT_EXPIRED",
        ConversationError => "PAM_CONV_ERR",
        Abort => "PAM_ABORT",
        _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PAM error {code}"),
    };
}
