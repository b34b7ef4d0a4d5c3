using Milters.SenderId.Spf;

namespace Milters.SenderId;

/// <summary>
/// Runs one check_host() evaluation with the plugin's overall deadline: whatever DNS does, the caller
/// gets an outcome (temperror when the deadline passes) within <see cref="SenderIdOptions.EvaluationTimeout"/>.
/// </summary>
public sealed class SenderIdChecks(SpfEvaluator evaluator, SenderIdOptions options)
{
    public SpfEvaluator Evaluator => evaluator;

    public SenderIdOptions Options => options;

    public async Task<SpfOutcome> RunAsync(SpfRequest request, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(options.EvaluationTimeout);
        try
        {
            return await evaluator.CheckHostAsync(request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Deadline or abort: either way an outcome, so that a check nobody awaits any more never faults.
            return new SpfOutcome(SpfResult.TempError, aborted.IsCancellationRequested
                ? "message aborted"
                : $"DNS lookups took longer than {options.EvaluationTimeout.TotalSeconds:0.#} s");
        }
    }
}
