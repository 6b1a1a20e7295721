using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Windsock.Server.Authentication.Pam;

/// <summary>
/// One PAM transaction's side of the conversation: it answers the modules' prompts with the user
/// name and password the SOCKS client sent, and records the failure delay the modules asked for
/// instead of sleeping through it. PAM reaches this object through the conversation's
/// <c>appdata_ptr</c>, a <see cref="GCHandle{T}"/> that <see cref="PamLogin"/> holds for the
/// transaction's lifetime.
/// </summary>
/// <remarks>
/// The password is kept as a NUL-terminated UTF-8 copy in native memory, which the garbage
/// collector never moves (a managed array could be copied around by compaction and leave stale
/// copies behind); it is zeroed when the transaction ends. The managed string it came from cannot
/// be wiped, which is the protocol parser's business.
/// </remarks>
internal sealed unsafe class PamConversation : IDisposable
{
    private byte* _user;
    private readonly int _userLength;
    private byte* _password;
    private readonly int _passwordLength;

    public PamConversation(string user, string password)
    {
        _user = CopyToNative(user, out _userLength);
        _password = CopyToNative(password, out _passwordLength);
    }

    /// <summary>
    /// The randomised delay PAM computed after a failed <c>pam_authenticate</c> (pam_unix asks for
    /// about 2 s, pam_faildelay for what its line says). The caller waits it out asynchronously.
    /// </summary>
    public TimeSpan FailDelay { get; private set; }

    /// <summary>
    /// How many secret prompts were answered with the password. A stack that says yes without ever
    /// asking (pam_permit alone, a typo in the service file) is refused by <see cref="PamLogin"/>.
    /// </summary>
    public int PasswordPrompts { get; private set; }

    /// <summary>For <c>struct pam_conv</c>.</summary>
    public static delegate* unmanaged<int, PamNative.Message**, PamNative.Response**, void*, int> ConverseFunction => &Converse;

    /// <summary>
    /// For <c>pam_set_item(PAM_FAIL_DELAY)</c>: with it set, Linux-PAM calls this instead of
    /// sleeping in <c>pam_authenticate</c>, so a failed login does not hold a PAM thread for the
    /// delay. It receives the conversation's <c>appdata_ptr</c>.
    /// </summary>
    public static delegate* unmanaged<int, uint, void*, void> DelayFunction => &Delay;

    public void Dispose()
    {
        Free(ref _user, _userLength);
        Free(ref _password, _passwordLength);
    }

    [UnmanagedCallersOnly]
    private static int Converse(int count, PamNative.Message** messages, PamNative.Response** responses, void* appData)
    {
        if (count <= 0 || count > PamNative.MaxMessages || messages is null || responses is null || appData is null)
        {
            return PamNative.ConversationError;
        }

        PamNative.Response* replies = null;
        try
        {
            PamConversation state = GCHandle<PamConversation>.FromIntPtr((nint)appData).Target;
            // PAM releases the array and each answer with free(3), so they must come from malloc:
            // NativeMemory.Alloc and AllocZeroed are documented as thin wrappers over malloc and
            // calloc. (Marshal.AllocCoTaskMem is malloc on Unix too, but only as an implementation
            // detail of an API named after COM.)
            replies = (PamNative.Response*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(PamNative.Response));
            for (int i = 0; i < count; i++)
            {
                switch (messages[i]->Style)
                {
                    case PamNative.PromptEchoOff:
                        // The password prompt (or any secret: a stack asking for a one-time code in a
                        // second prompt gets the same field; see docs/pam.md on combined passwords).
                        replies[i].Text = Duplicate(state._password, state._passwordLength);
                        state.PasswordPrompts++;
                        break;
                    case PamNative.PromptEchoOn:
                        // A module asking who is logging in, although pam_start was told.
                        replies[i].Text = Duplicate(state._user, state._userLength);
                        break;
                    case PamNative.ErrorMessage:
                    case PamNative.TextInfo:
                        // Meant for a terminal; a SOCKS client has nowhere to show them.
                        break;
                    default:
                        // Binary or radio prompts: nothing sensible to answer, so the login fails.
                        FreeReplies(replies, count);
                        return PamNative.ConversationError;
                }
            }

            *responses = replies;
            return PamNative.Success;
        }
        catch (Exception)
        {
            // Nothing may unwind into libpam's C frames; an answer we cannot build is a failed login.
            if (replies is not null)
            {
                FreeReplies(replies, count);
            }

            return PamNative.ConversationError;
        }
    }

    [UnmanagedCallersOnly]
    private static void Delay(int status, uint microseconds, void* appData)
    {
        try
        {
            // Linux-PAM calls this after every pam_authenticate, with the outcome: only failures wait.
            if (status != PamNative.Success && appData is not null)
            {
                GCHandle<PamConversation>.FromIntPtr((nint)appData).Target.FailDelay = TimeSpan.FromMicroseconds(microseconds);
            }
        }
        catch (Exception)
        {
            // As above: never unwind into C. A lost delay only makes a failure answer sooner.
        }
    }

    private static byte* CopyToNative(string text, out int length)
    {
        length = Encoding.UTF8.GetByteCount(text);
        byte* copy = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(copy, length));
        copy[length] = 0;
        return copy;
    }

    private static byte* Duplicate(byte* text, int length)
    {
        byte* copy = (byte*)NativeMemory.Alloc((nuint)length + 1);
        new ReadOnlySpan<byte>(text, length + 1).CopyTo(new Span<byte>(copy, length + 1));
        return copy;
    }

    private static void FreeReplies(PamNative.Response* replies, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (replies[i].Text is not null)
            {
                // Each answer is a NUL-terminated copy of the password or the user name.
                int length = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(replies[i].Text).Length;
                CryptographicOperations.ZeroMemory(new Span<byte>(replies[i].Text, length));
                NativeMemory.Free(replies[i].Text);
            }
        }

        NativeMemory.Free(replies);
    }

    private static void Free(ref byte* text, int length)
    {
        if (text is not null)
        {
            CryptographicOperations.ZeroMemory(new Span<byte>(text, length));
            NativeMemory.Free(text);
            text = null;
        }
    }
}
