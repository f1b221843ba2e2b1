using BenchmarkDotNet.Running;

// Run one group with: dotnet run -c Release --project bench/Ringfence.Benchmarks -- --filter '*Interpreter*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
