// Tasks
