using System.Globalization;
using System.Runtime.InteropServices;

namespace Milters.Host.Hosting;

/// <summary>
/// <c>-u USER[:GROUP]</c> / Hosting:User: after the socket is bound (a port below 1024 or a socket in a
/// root-owned directory needs root), become USER with its supplementary groups, as dk-filter -u did.
/// .NET has no API for this, so it calls libc directly.
/// </summary>
public static class PrivilegeDrop
{
    public static (uint Uid, uint Gid, string Name) Resolve(string spec)
    {
        var parts = spec.Split(':', 2);
        var userName = parts[0];
        if (userName.Length == 0) throw new StartupException($"-u \"{spec}\": the user name is missing");

        uint uid, gid;
        string name;
        var pw = getpwnam(userName);
        if (pw != IntPtr.Zero)
        {
            var entry = Marshal.PtrToStructure<Passwd>(pw);
            uid = entry.pw_uid;
            gid = entry.pw_gid;
            name = userName;
        }
        else if (uint.TryParse(userName, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            gid = uid;
            name = userName;
        }
        else
        {
            throw new StartupException($"-u \"{spec}\": no such user \"{userName}\"");
        }

        if (parts.Length == 2)
        {
            var groupName = parts[1];
            var gr = getgrnam(groupName);
            if (gr != IntPtr.Zero) gid = Marshal.PtrToStructure<Group>(gr).gr_gid;
            else if (!uint.TryParse(groupName, NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                throw new StartupException($"-u \"{spec}\": no such group \"{groupName}\"");
        }
        return (uid, gid, name);
    }

    /// <param name="spec">USER[:GROUP].</param>
    /// <param name="handOver">Files created as root that the user must own afterwards (the unix socket, so the
    /// MTA in the user's group can connect and a restart as the user can replace it).</param>
    public static void Drop(string spec, params string[] handOver)
    {
        var (uid, gid, name) = Resolve(spec);
        if (geteuid() == uid) return;
        if (geteuid() != 0) throw new StartupException($"-u \"{spec}\": only root can change user (running as uid {geteuid()})");
        foreach (var path in handOver)
        {
            if (chown(path, uid, gid) != 0)
                throw new StartupException($"-u \"{spec}\": cannot hand {path} over (chown errno {Marshal.GetLastPInvokeError()})");
        }
        // Order matters: groups first, while we are still root.
        if (initgroups(name, gid) != 0 && setgroups(0, IntPtr.Zero) != 0)
            throw new StartupException($"-u \"{spec}\": cannot set supplementary groups (errno {Marshal.GetLastPInvokeError()})");
        if (setgid(gid) != 0) throw new StartupException($"-u \"{spec}\": setgid({gid}) failed (errno {Marshal.GetLastPInvokeError()})");
        if (setuid(uid) != 0) throw new StartupException($"-u \"{spec}\": setuid({uid}) failed (errno {Marshal.GetLastPInvokeError()})");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public IntPtr pw_name;
        public IntPtr pw_passwd;
        public uint pw_uid;
        public uint pw_gid;
        public IntPtr pw_gecos;
        public IntPtr pw_dir;
        public IntPtr pw_shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Group
    {
        public IntPtr gr_name;
        public IntPtr gr_passwd;
        public uint gr_gid;
        public IntPtr gr_mem;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr getpwnam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr getgrnam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", SetLastError = true)]
    private static extern int initgroups([MarshalAs(UnmanagedType.LPUTF8Str)] string user, uint group);

    [DllImport("libc", SetLastError = true)]
    private static extern int setgroups(nuint size, IntPtr list);

    [DllImport("libc", SetLastError = true)]
    private static extern int setgid(uint gid);

    [DllImport("libc", SetLastError = true)]
    private static extern int setuid(uint uid);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
}
