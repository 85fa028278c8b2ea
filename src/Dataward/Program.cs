using Dataward.Platform.Cli;

return await DatawardCommandLine.RunAsync(args);
