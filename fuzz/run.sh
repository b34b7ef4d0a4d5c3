#!/bin/sh
# Build, instrument and fuzz one target with AFL++:  fuzz/run.sh TARGET [SECONDS]  (default 240 s).
# Findings land in fuzz/findings/TARGET/default/crashes/; replay them with
#   dotnet fuzz/instrumented/Milters.Fuzz.dll TARGET --replay fuzz/findings/TARGET/default/crashes
set -eu
cd "$(dirname "$0")"
target=${1:?usage: run.sh TARGET [SECONDS]}
seconds=${2:-240}

# Built every time (incremental); instrumented again whenever the build output changed, so a run never
# fuzzes yesterday's code. instrumented/.done holds the checksums of the assemblies it was made from.
dotnet build Milters.Fuzz.csproj -c Release -v q -nologo
sums=$(cd bin/Release/net10.0 && sha256sum milters.dll Milters.Abstractions.dll DomainKeys.dll SenderId.dll AuthResults.dll Milters.Fuzz.dll)
if [ ! -f instrumented/.done ] || [ "$(cat instrumented/.done)" != "$sums" ]; then
    rm -rf instrumented && cp -r bin/Release/net10.0 instrumented
    [ -x .tools/sharpfuzz ] || dotnet tool install --tool-path .tools SharpFuzz.CommandLine --version 2.3.0
    # Our assemblies and MimeKit (the address parser behind PRA and the DomainKeys sending address).
    for dll in milters.dll Milters.Abstractions.dll DomainKeys.dll SenderId.dll AuthResults.dll MimeKit.dll; do
        .tools/sharpfuzz "instrumented/$dll"
    done
    printf '%s\n' "$sums" > instrumented/.done
fi

mkdir -p findings
# AFL++ will not start over an earlier run's output: set it aside, named by the current time.
[ -d "findings/$target" ] && mv "findings/$target" "findings/$target-$(date -u +%Y%m%dT%H%M%S)"
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
# 5 s per run: the first inputs pay for JIT; .NET needs no memory limit from AFL.
exec afl-fuzz -i "corpus/$target" -o "findings/$target" -t 5000 -m none -V "$seconds" -- dotnet instrumented/Milters.Fuzz.dll "$target"
