export function App() {
  return (
    <main>
      <h1>PDF Chat</h1>
      <p>Chat with your PDFs, entirely on this device.</p>
    </main>
  );
}
