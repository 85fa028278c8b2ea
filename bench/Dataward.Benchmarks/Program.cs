using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Dataward.Benchmarks.AuditAppendBenchmarks).Assembly).Run(args);
