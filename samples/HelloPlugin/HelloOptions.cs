namespace HelloPlugin;

/// <summary>The plugin's own configuration section: the top-level key "HelloPlugin" in milters.json.</summary>
public sealed class HelloOptions
{
    /// <summary>Text of the X-Hello header.</summary>
    public string Greeting { get; set; } = "Hello";

    /// <summary>Reject (550 5.7.1) mail whose Subject contains this text; null: reject nothing.</summary>
    public string? RejectSubjectContaining { get; set; }
}
