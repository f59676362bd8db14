using GridMap.Server.Cli;

return await GridMapCli.RunAsync(args);
